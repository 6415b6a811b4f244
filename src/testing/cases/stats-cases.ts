/** The counters of `stats()`. */
import assert from 'node:assert/strict';
import type { Cache, CacheStats } from '../../core/types.js';
import { defineCases } from '../conformance-case.js';

type Counter = Exclude<keyof CacheStats, 'breaker'>;

/** Run `action` and return how each counter moved. */
async function delta(
  cache: Cache,
  action: () => Promise<unknown>,
): Promise<Partial<Record<Counter, number>>> {
  const before = cache.stats();
  await action();
  const after = cache.stats();
  const moved: Partial<Record<Counter, number>> = {};
  for (const key of ['hits', 'misses', 'sets', 'deletes', 'errors', 'shortCircuited', 'timeouts'] as const) {
    if (after[key] !== before[key]) moved[key] = after[key] - before[key];
  }
  return moved;
}

/** stats(). */
export const statsCases = defineCases('stats', {
  async 'counters start at zero and move with hits, misses, sets, deletes and errors'(h) {
    const cache = h.cache();
    assert.deepEqual(cache.stats(), {
      hits: 0,
      misses: 0,
      sets: 0,
      deletes: 0,
      errors: 0,
      shortCircuited: 0,
      timeouts: 0,
      stallTimeouts: 0,
      staleServed: 0,
      factoryCalls: 0,
      factoryErrors: 0,
      coalesced: 0,
      leaseWaits: 0,
      leaseTakeovers: 0,
      pendingInvalidations: 0,
      breaker: 'closed',
      invalidationBreaker: 'closed',
    });
    assert.deepEqual(await delta(cache, () => cache.get('missing')), { misses: 1 });
    assert.deepEqual(await delta(cache, () => cache.set('a', 1)), { sets: 1 });
    assert.deepEqual(await delta(cache, () => cache.get('a')), { hits: 1 });
    assert.deepEqual(await delta(cache, () => cache.getMany(['a', 'missing'])), { hits: 1, misses: 1 });
    assert.deepEqual(await delta(cache, () => cache.add('b', 1)), { sets: 1 });
    assert.deepEqual(await delta(cache, () => cache.add('b', 1)), {});
    assert.deepEqual(await delta(cache, () => cache.setMany({ c: 1, d: 2 })), { sets: 2 });
    assert.deepEqual(await delta(cache, () => cache.delete('a')), { deletes: 1 });
    assert.deepEqual(await delta(cache, () => cache.delete('a')), {});
    assert.deepEqual(await delta(cache, () => cache.deleteMany(['c', 'd', 'missing'])), { deletes: 2 });
    await h.writeRaw(h.storedKey('corrupt'), Buffer.from('not an entry'));
    assert.deepEqual(await delta(cache, () => cache.get('corrupt')), { misses: 1, errors: 1 });
    h.takeErrors();
  },

  async 'namespaces count in the stats of the cache they belong to'(h) {
    const cache = h.cache();
    const ns = cache.namespace('counted');
    assert.deepEqual(await delta(cache, () => ns.set('a', 1)), { sets: 1 });
    assert.deepEqual(await delta(cache, () => ns.get('a')), { hits: 1 });
    assert.deepEqual(ns.stats(), cache.stats());
  },
});
