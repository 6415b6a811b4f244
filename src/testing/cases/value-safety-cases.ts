/**
 * Values that cannot be stored, and values that must not change behind the
 * cache's back: unserializable values are `E_SERIALIZE` with nothing stored,
 * and a value you got back is either your own copy or frozen.
 */
import assert from 'node:assert/strict';
import { rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

function unserializable(): Record<string, unknown> {
  const cycle: Record<string, unknown> = { name: 'cycle' };
  cycle.self = cycle;
  return {
    function: () => 1,
    symbol: Symbol('s'),
    'nested function': { ok: 1, handler() {} },
    'nested symbol': { list: [Symbol('s')] },
    cycle,
  };
}

/** Mutate a value in every way a caller might; frozen parts throw TypeError, which is fine. */
function tryToMutate(value: Record<string, unknown>): void {
  const attempts: Array<() => void> = [
    () => {
      value.added = 'added';
    },
    () => {
      (value.list as unknown[]).push('pushed');
    },
    () => {
      (value.nested as Record<string, unknown>).deep = 'changed';
    },
    () => {
      delete value.name;
    },
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (error) {
      assert.ok(error instanceof TypeError, `a frozen value throws TypeError, got ${String(error)}`);
    }
  }
}

/** Unserializable and mutated values. */
export const valueSafetyCases = defineCases('values', {
  async 'an unserializable value is E_SERIALIZE from set, add, setMany and getOrSet, and nothing is stored'(
    h,
  ) {
    for (const serializer of ['msgpack', 'json'] as const) {
      const cache = h.cache({ serializer, prefix: h.otherPrefix(serializer) });
      await cache.set('existing', 'kept');
      for (const [label, value] of Object.entries(unserializable())) {
        const where = `${label} with ${serializer}`;
        await rejectsWithCode(cache.set('existing', value), 'E_SERIALIZE', `set: ${where}`);
        assert.equal(await cache.get('existing'), 'kept', `set kept the old value: ${where}`);
        await rejectsWithCode(cache.set('new', value), 'E_SERIALIZE', `set: ${where}`);
        await rejectsWithCode(cache.add('new', value), 'E_SERIALIZE', `add: ${where}`);
        await rejectsWithCode(cache.setMany({ fine: 1, new: value }), 'E_SERIALIZE', `setMany: ${where}`);
        await rejectsWithCode(
          cache.getOrSet('new', () => value),
          'E_SERIALIZE',
          `getOrSet: ${where}`,
        );
        assert.deepEqual(await cache.getMany(['new', 'fine']), new Map(), `nothing stored: ${where}`);
      }
    }
  },

  async 'mutating an object you got back does not change what the cache returns'(h) {
    const cache = h.cache();
    const original = { name: 'n', list: [1, 2], nested: { deep: 'value' } };
    await cache.set('object', original);
    const first = (await cache.get('object')) as Record<string, unknown>;
    tryToMutate(first);
    assert.deepEqual(await cache.get('object'), original, 'after mutating what get returned');
    const [fromMany] = [...(await cache.getMany<Record<string, unknown>>(['object'])).values()];
    assert.ok(fromMany !== undefined);
    tryToMutate(fromMany);
    assert.deepEqual(await cache.get('object'), original, 'after mutating what getMany returned');
    const fromGetOrSet = (await cache.getOrSet('object', {})) as Record<string, unknown>;
    tryToMutate(fromGetOrSet);
    assert.deepEqual(await cache.get('object'), original, 'after mutating what getOrSet returned');
  },

  async 'mutating the value you stored does not change the cache'(h) {
    const cache = h.cache();
    const value = { name: 'n', list: [1, 2], nested: { deep: 'value' } };
    await cache.set('object', value);
    tryToMutate(value);
    assert.deepEqual(await cache.get('object'), { name: 'n', list: [1, 2], nested: { deep: 'value' } });
  },

  async 'mutating a Map, Set, Date or byte array you got back does not change what the cache returns'(h) {
    const cache = h.cache();
    await cache.setMany({
      map: new Map([['k', 1]]),
      set: new Set([1]),
      date: new Date(1_000),
      bytes: Uint8Array.of(1, 2, 3),
    });
    const got = await cache.getMany(['map', 'set', 'date', 'bytes']);
    const attempts: Array<() => void> = [
      () => (got.get('map') as Map<string, number>).set('k', 2).set('added', 3),
      () => (got.get('set') as Set<number>).add(2),
      () => (got.get('date') as Date).setTime(2_000),
      () => (got.get('bytes') as Uint8Array).fill(9),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
      } catch (error) {
        assert.ok(error instanceof TypeError, `a frozen value throws TypeError, got ${String(error)}`);
      }
    }
    assert.deepEqual(await cache.get('map'), new Map([['k', 1]]));
    assert.deepEqual(await cache.get('set'), new Set([1]));
    assert.deepEqual(await cache.get('date'), new Date(1_000));
    assert.deepEqual([...((await cache.get('bytes')) as Uint8Array)], [1, 2, 3]);
  },
});
