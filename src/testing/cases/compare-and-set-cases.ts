/**
 * Optimistic read-modify-write (`gets` + `compareAndSet`, over the store's
 * atomic `compareAndSet`): a swap lands only on the bytes it was read from, of
 * many racing swaps from one read exactly one lands, and a retry loop loses
 * no increment. A store without `compareAndSet` must make the cache refuse
 * with `E_UNSUPPORTED`, never fall back to a plain write.
 */
import assert from 'node:assert/strict';
import { rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

/** Compare-and-set cases. */
export const compareAndSetCases = defineCases('compare-and-set', {
  async 'a swap lands on the bytes it read, and not after another write'(h) {
    const cache = h.cache();
    const absent = await cache.gets('cas-a');
    assert.equal(absent.value, undefined);
    if (h.store.compareAndSet === undefined) {
      await rejectsWithCode(cache.compareAndSet('cas-a', 1, absent.token), 'E_UNSUPPORTED');
      assert.equal(await cache.get('cas-a'), undefined, 'nothing written');
      return;
    }
    assert.equal(await cache.compareAndSet('cas-a', { n: 1 }, absent.token), 'stored');
    assert.equal(await cache.compareAndSet('cas-a', { n: 9 }, absent.token), 'changed', 'no longer absent');
    const first = await cache.gets<{ n: number }>('cas-a');
    assert.deepEqual(first.value, { n: 1 });
    await cache.set('cas-a', { n: 2 });
    assert.equal(await cache.compareAndSet('cas-a', { n: 3 }, first.token), 'changed');
    assert.deepEqual(await cache.get('cas-a'), { n: 2 }, 'the other write stands');
    const second = await cache.gets('cas-a');
    await cache.delete('cas-a');
    assert.equal(await cache.compareAndSet('cas-a', { n: 4 }, second.token), 'changed', 'deleted meanwhile');
    assert.equal(await cache.get('cas-a'), undefined);
  },

  async 'of many swaps from one read, exactly one lands'(h) {
    if (h.store.compareAndSet === undefined) return;
    const cache = h.cache();
    await cache.set('cas-race', 0);
    const { token } = await cache.gets('cas-race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cache.compareAndSet('cas-race', i + 1, token)),
    );
    const winners = results.flatMap((result, i) => (result === 'stored' ? [i + 1] : []));
    assert.equal(winners.length, 1, `one winner, got ${winners.join(',')}`);
    assert.equal(await cache.get('cas-race'), winners[0]);
  },

  async 'a retry loop loses no update under contention'(h) {
    if (h.store.compareAndSet === undefined) return;
    const cache = h.cache();
    const add = async (item: number): Promise<void> => {
      for (;;) {
        const { value, token } = await cache.gets<number[]>('cas-list');
        if ((await cache.compareAndSet('cas-list', [...(value ?? []), item], token)) === 'stored') return;
      }
    };
    await Promise.all(Array.from({ length: 25 }, (_, i) => add(i)));
    const list = (await cache.get<number[]>('cas-list')) ?? [];
    assert.deepEqual(
      [...list].sort((a, b) => a - b),
      Array.from({ length: 25 }, (_, i) => i),
    );
  },

  async 'corrupt bytes read as a miss whose token still swaps them out; the TTL is kept'(h) {
    if (h.store.compareAndSet === undefined) return;
    const cache = h.cache();
    await h.writeRaw(h.storedKey('cas-corrupt'), new Uint8Array([0xff, 0x00, 0x13]));
    const read = await cache.gets('cas-corrupt');
    assert.equal(read.value, undefined);
    h.takeErrors(); // the decode error was reported
    assert.equal(await cache.compareAndSet('cas-corrupt', 'fixed', read.token, { ttl: 60 }), 'stored');
    assert.equal(await cache.get('cas-corrupt'), 'fixed');
    const ttl = await cache.ttl('cas-corrupt');
    assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= 60_000, `a finite TTL, got ${String(ttl)}`);
  },

  async 'a token is for its own key, and a swap needs a positive TTL'(h) {
    const cache = h.cache();
    const { token } = await cache.gets('cas-own');
    await rejectsWithCode(cache.compareAndSet('cas-other', 1, token), 'E_INVALID_ARGUMENT');
    await rejectsWithCode(cache.compareAndSet('cas-own', 1, token, { ttl: 0 }), 'E_INVALID_ARGUMENT');
    await rejectsWithCode(
      cache.compareAndSet('cas-own', 1, {} as unknown as typeof token),
      'E_INVALID_ARGUMENT',
    );
  },
});
