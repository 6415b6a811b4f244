/**
 * Freshness on the store under test: tags (generation counters stored in the
 * store), grace and fail-safe with real (short) waits, and the lease between two
 * caches on one store, as two processes would share it.
 */
import assert from 'node:assert/strict';
import { defineCases } from '../conformance-case.js';

/** Tags, grace, fail-safe, leases. */
export const freshnessCases = defineCases('freshness', {
  async 'invalidateTags turns tagged entries into misses for every cache on the store'(h) {
    const writer = h.cache();
    const reader = h.cache();
    await writer.set('a', 1, { tags: ['t1', 't2'] });
    await writer.set('b', 2, { tags: ['t2'] });
    await writer.set('c', 3);
    assert.equal(await reader.get('a'), 1);
    await writer.invalidateTags(['t1']);
    assert.equal(await reader.get('a'), undefined);
    assert.equal(await reader.get('b'), 2);
    await reader.invalidateTags(['t2']);
    assert.deepEqual([...(await writer.getMany(['a', 'b', 'c'])).entries()], [['c', 3]]);
  },

  async 'getOrSet with tags is refilled after an invalidation, and a fill racing it is never served'(h) {
    const cache = h.cache();
    let source = 'v1';
    assert.equal(await cache.getOrSet('k', () => source, { tags: ['row'] }), 'v1');
    const raced = await cache.getOrSet(
      'raced',
      async () => {
        const read = source; // the source is read before the invalidation below
        source = 'v2';
        await cache.invalidateTags(['row']);
        return read;
      },
      { tags: ['row'] },
    );
    assert.equal(raced, 'v1', 'the caller gets what its factory computed');
    assert.equal(await cache.get('raced'), undefined, 'but it is not served from the cache');
    assert.equal(await cache.getOrSet('k', () => source, { tags: ['row'] }), 'v2');
  },

  async 'grace: getOrSet serves the stale value and refreshes it; get does not serve it'(h) {
    const cache = h.cache({ grace: '1m' });
    await cache.getOrSet('g', 'old', { ttl: 50 });
    await h.wait(80);
    assert.equal(await cache.get('g'), undefined);
    assert.equal(await cache.getOrSet('g', () => 'new', { ttl: 60_000 }), 'old');
    await cache.idle();
    assert.equal(await cache.get('g'), 'new');
  },

  async 'fail-safe: a failing refresh serves the stale value and reports E_FACTORY_FAILED'(h) {
    const cache = h.cache({ grace: '1m' });
    await cache.getOrSet('f', 'kept', { ttl: 50 });
    await h.wait(80);
    const value = await cache.getOrSet(
      'f',
      () => {
        throw new Error('source down');
      },
      { ttl: 60_000 },
    );
    assert.equal(value, 'kept');
    await cache.idle();
    const errors = h.takeErrors();
    assert.deepEqual(
      errors.map((event) => event.code),
      ['E_FACTORY_FAILED'],
    );
  },

  async 'two caches on one store make one factory call through the lease'(h) {
    const a = h.cache();
    const b = h.cache();
    let calls = 0;
    const factory = async () => {
      calls++;
      await h.wait(50);
      return 'once';
    };
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => a.getOrSet('hot', factory)),
      ...Array.from({ length: 20 }, () => b.getOrSet('hot', factory)),
    ]);
    assert.deepEqual(new Set(results), new Set(['once']));
    assert.equal(calls, h.store.acquireLease === undefined ? 2 : 1);
  },

  async 'clear() removes tag counters too: entries stored before are misses afterwards'(h) {
    const cache = h.cache();
    await cache.set('k', 'v', { tags: ['t'] });
    await cache.clear();
    assert.equal(await cache.get('k'), undefined);
    await cache.set('k', 'w', { tags: ['t'] });
    assert.equal(await cache.get('k'), 'w');
  },
});
