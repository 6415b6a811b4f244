/**
 * Leases orphaned by a freeze never park `getOrSet`. While Redis is frozen a
 * lease `SET` times out but still lands when Redis thaws, and a release sent
 * meanwhile is lost or short-circuited: before the journal, every other
 * process's callers then waited for the lease's TTL or `lock.wait` (~10 s).
 * Now the holder releases it (by token) as soon as the store answers, waiters
 * are woken, and an unrenewed lease lapses after its short TTL anyway.
 *
 * Two caches on their own connections stand for two processes; 50 workers
 * call `getOrSet` on keys that expire every 200 ms, so leases are taken all
 * the time, before, during and after the freeze.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Cache } from './core/types.js';
import { createCache } from './create-cache.js';
import { redisStore } from './stores/redis/redis-store.js';
import { uniquePrefix } from './test-support/env.js';
import { type RedisServer, startRedisServer } from './test-support/redis-server.js';

const TIMEOUT_MS = 100;
const OPEN_MS = 250;
const FACTORY_MS = 2;
/** Factory + operation timeout + the replay bound (open time + a round trip), with slack for a loaded machine. */
const BOUND_MS = FACTORY_MS + TIMEOUT_MS + OPEN_MS + TIMEOUT_MS + 1_000;

describe('leases orphaned by a freeze (private redis-server)', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedisServer();
  });
  after(() => server.stop());

  async function makeCache(prefix: string): Promise<Cache> {
    const store = redisStore({ url: server.url, reconnect: { initialDelay: 20, maxDelay: 200 } });
    await store.ready();
    return createCache({
      store,
      prefix,
      storeTimeout: TIMEOUT_MS,
      breaker: { failureThreshold: 5, halfOpenAfter: OPEN_MS },
      logger: { warn: () => {} },
    });
  }

  it('after the thaw no getOrSet call waits past factory + timeout + the replay bound; none parks', async (t) => {
    const prefix = uniquePrefix('lease-orphan');
    const caches = [await makeCache(prefix), await makeCache(prefix)];
    const calls: Array<{ startedAt: number; ms: number }> = [];
    const thrown: unknown[] = [];
    let running = true;
    const worker = async (i: number): Promise<void> => {
      const cache = caches[i % 2] as Cache;
      for (let step = 0; running; step++) {
        const key = `hot:${(i + step) % 8}`;
        const startedAt = performance.now();
        try {
          await cache.getOrSet(
            key,
            async () => {
              await sleep(FACTORY_MS);
              return step;
            },
            { ttl: 200 },
          );
        } catch (error) {
          thrown.push(error);
        }
        calls.push({ startedAt, ms: performance.now() - startedAt });
        await yieldToLoop();
      }
    };
    const workers = Array.from({ length: 50 }, (_, i) => worker(i));
    let thawAt = Number.POSITIVE_INFINITY;
    try {
      await sleep(500);
      server.freeze();
      await sleep(1_000);
      server.thaw();
      thawAt = performance.now();
      await sleep(2_500);
    } finally {
      server.thaw();
      running = false;
      await Promise.all(workers);
      for (const cache of caches) await cache.close();
    }
    const afterThaw = calls.filter((call) => call.startedAt >= thawAt);
    const slowest = afterThaw.reduce((max, call) => Math.max(max, call.ms), 0);
    const leaseWaits = caches.reduce((sum, cache) => sum + cache.stats().leaseWaits, 0);
    t.diagnostic(
      `${calls.length} calls, ${afterThaw.length} after the thaw, slowest ${slowest.toFixed(0)} ms; ${leaseWaits} lease waits`,
    );
    assert.deepEqual(thrown, [], 'no call failed');
    assert.ok(afterThaw.length > 500, 'calls went on after the thaw');
    assert.ok(
      slowest <= BOUND_MS,
      `a call took ${slowest.toFixed(0)} ms after the thaw (bound ${BOUND_MS} ms)`,
    );
    assert.equal(calls.filter((call) => call.ms > 5_000).length, 0, 'nothing parked');
  });
});
