/**
 * `tiers` is honoured by every method that accepts it: each store call such a
 * method makes carries the hints (a tiered store skips L1 or L2 by them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import type { Store, StoreHints } from './store.js';

/**
 * A memory store that records the hints of every keyed call (none for batch
 * calls, which take none) and then ignores them, so every value lands.
 */
function hintSpy() {
  const target = memoryStore();
  const calls: Array<[string, StoreHints | undefined]> = [];
  const seen = (operation: string, hints?: StoreHints): void => {
    calls.push([operation, hints]);
  };
  const store: Store = {
    name: 'hint-spy',
    get(key, hints) {
      seen('get', hints);
      return target.get(key);
    },
    set(key, value, ttlMs, hints) {
      seen('set', hints);
      return target.set(key, value, ttlMs);
    },
    add(key, value, ttlMs, hints) {
      seen('add', hints);
      return target.add(key, value, ttlMs);
    },
    delete(key, hints) {
      seen('delete', hints);
      return target.delete(key);
    },
    clear: (prefix) => target.clear(prefix),
    getMany(keys) {
      seen('getMany');
      return keys.map((key) => (target.get(key) as Uint8Array | null) ?? undefined);
    },
    setMany(entries) {
      seen('setMany');
      for (const entry of entries) target.set(entry.key, entry.value, entry.ttlMs);
      return Promise.resolve(entries.map(() => true));
    },
  };
  return { store, calls };
}

describe('tiers', () => {
  it('reaches the store on every call of get, getMany, has, delete, set, setMany, add and getOrSet', async () => {
    const { store, calls } = hintSpy();
    const cache = createCache({ store, prefix: 'tiers' });
    const tiers = { l1: false } as const;
    await cache.set('a', 1, { tiers });
    await cache.setMany({ b: 2, c: 3 }, { tiers });
    await cache.add('d', 4, { tiers });
    assert.equal(await cache.get('a', { tiers }), 1);
    assert.deepEqual([...(await cache.getMany(['a', 'b'], { tiers })).values()], [1, 2]);
    assert.equal(await cache.has('c', { tiers }), true);
    assert.equal(await cache.getOrSet('e', () => 5, { tiers }), 5);
    assert.equal(await cache.delete('a', { tiers }), true);
    assert.ok(calls.length >= 10);
    for (const [operation, hints] of calls) assert.deepEqual(hints, { skipL1: true }, operation);
    calls.length = 0;
    assert.deepEqual([...(await cache.getMany(['b', 'c'])).values()], [2, 3]);
    assert.deepEqual(calls, [['getMany', undefined]], 'without tiers, one batch read');
  });
});
