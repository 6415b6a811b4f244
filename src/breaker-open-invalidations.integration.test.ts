/**
 * Invalidations outrank reads: the read breaker opens on a healthy Redis (the
 * reads and value writes are slow — injected in front of a real redisStore, as
 * huge values or an overloaded link would make them — while the small
 * commands of invalidations are not), and the writer changes rows and deletes or invalidates them meanwhile.
 * The invalidations have their own guard, so they reach Redis at once; and
 * once the breaker closes, no read returns a superseded value. Before, the
 * breaker short-circuited them and they were dropped: stale until the TTL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from './core/store.js';
import { createCache } from './create-cache.js';
import { redisStore } from './stores/redis/redis-store.js';
import { redisUrl, uniquePrefix } from './test-support/env.js';
import {
  type Invalidation,
  isStale,
  Source,
  startReaders,
  writeRow,
} from './test-support/freshness-check.js';
import { waitFor } from './test-support/traffic.js';

const TIMEOUT_MS = 100;

/**
 * `store`, with reads and value writes that take `delayMs` longer while
 * `state.slow` is set (big values, an overloaded link); the small commands
 * invalidations use (`DEL`, `INCRBY`) stay fast.
 */
function slowReads(store: Store, state: { slow: boolean }, delayMs: number): Store {
  const late = <T>(result: T | Promise<T>): T | Promise<T> =>
    state.slow ? sleep(delayMs).then(() => result) : result;
  const reads: Partial<Store> = {
    get: (key) => late(store.get(key)),
    getMany: (keys) => late(store.getMany?.(keys) ?? []),
    // The fills of getOrSet too: a success of theirs would reset the breaker's count.
    set: (key, value, ttlMs) => late(store.set(key, value, ttlMs)),
    add: (key, value, ttlMs) => late(store.add(key, value, ttlMs)),
    acquireLease: (key, token, ttlMs) => late(store.acquireLease?.(key, token, ttlMs) ?? false),
  };
  // Everything else is the store's own (bound: it keeps #private state).
  return new Proxy(store, {
    get(target, property) {
      if (property in reads) return reads[property as keyof typeof reads];
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('invalidations while reads opened the breaker (shared Redis)', () => {
  for (const invalidation of ['delete', 'tags'] as const satisfies readonly Invalidation[]) {
    it(`${invalidation}: reach Redis while the read breaker is open; nothing stale once it closes`, async (t) => {
      const state = { slow: false };
      const store = redisStore({ url: redisUrl() });
      await store.ready();
      const cache = createCache({
        store: slowReads(store, state, TIMEOUT_MS * 3),
        prefix: uniquePrefix(`breaker-${invalidation}`),
        storeTimeout: TIMEOUT_MS,
        breaker: { failureThreshold: 5, halfOpenAfter: 300 },
        logger: { warn: () => {} },
      });
      const source = new Source(20);
      const readers = startReaders(cache, source, { workers: 8, how: 'getOrSet', invalidation });
      const outcomes: unknown[] = [];
      let closedAt = Number.POSITIVE_INFINITY;
      try {
        await sleep(300);
        state.slow = true;
        await waitFor(() => cache.stats().breaker !== 'closed', 5_000, 'slow reads to open the breaker');
        // Every row changes while the read breaker is open.
        for (let id = 0; id < source.rows; id++) {
          const before = cache.stats().invalidationBreaker;
          await writeRow(cache, source, id, invalidation);
          outcomes.push(before);
        }
        assert.notEqual(cache.stats().breaker, 'closed', 'the writes happened while it was open');
        state.slow = false;
        await waitFor(() => cache.stats().breaker === 'closed', 10_000, 'the read breaker to close');
        closedAt = performance.now();
        await sleep(1_000);
      } finally {
        await readers.stop();
        await cache.clear();
        await cache.close();
      }
      const afterClose = readers.samples.filter((s) => s.startedAt > closedAt);
      const stale = afterClose.filter(isStale);
      t.diagnostic(
        `${readers.samples.length} reads, ${afterClose.length} after the breaker closed, ${stale.length} stale; pending invalidations ${cache.stats().pendingInvalidations}`,
      );
      assert.ok(afterClose.length > 100, 'reads went on after it closed');
      assert.equal(
        stale.length,
        0,
        `stale reads after the breaker closed: ${JSON.stringify(stale.slice(0, 5))}`,
      );
      assert.ok(
        outcomes.every((breaker) => breaker === 'closed'),
        'the invalidation breaker stayed closed: reads cannot open it',
      );
    });
  }
});
