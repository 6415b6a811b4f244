/**
 * The tiered store over a private redis-server that freezes (SIGSTOP: sockets
 * stay open, nothing answers, no error ever arrives), through `createCache`
 * with a 100 ms operation timeout:
 * - the writer never reads back the value its own delete or set replaced,
 *   though L2 never answers the write (the old code served it from L1 until the
 *   heartbeat timed out: the write's L1 drop waited for L2);
 * - another process keeps its L1 copy only until its heartbeat is overdue
 *   (the remaining window, documented in docs/tiered.md);
 * - the first timed-out call takes L1 out of service, and an echo after the
 *   thaw puts it back.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/traffic.js';
import { type RedisStore, redisStore } from '../redis/index.js';
import type { HeartbeatOptions } from './heartbeat.js';
import { type TieredStore, tieredStore } from './index.js';

const TIMEOUT_MS = 100;

/** Whether the cache's `key` is in L1 (the cache's stored key is `<prefix>:<key>`, whatever its exact form). */
function isL1Hit(store: TieredStore, cache: Cache, key: string): boolean {
  const l2Reads = store.stats().l2Reads;
  void cache.get(key); // an L1 hit answers before this returns; a miss counts an L2 read at once
  return store.stats().l2Reads === l2Reads && store.l1.size > 0;
}

describe('tiered store when Redis freezes (private redis-server, SIGSTOP)', () => {
  let server: RedisServer;
  const opened: Array<{ store: TieredStore; cache: Cache }> = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  /** A tiered store and a cache over it; every one shares the channel and the key prefix (one app, several processes). */
  async function open(heartbeat?: HeartbeatOptions): Promise<{ store: TieredStore; cache: Cache }> {
    const store = tieredStore({
      l2: redisStore({ url: server.url, reconnect: { initialDelay: 20, maxDelay: 100 } }),
      channel: 'larder-test:tiered-frozen',
      ...(heartbeat === undefined ? {} : { heartbeat }),
    });
    const cache = createCache({
      store,
      prefix: 'frozen',
      storeTimeout: TIMEOUT_MS,
      // An open breaker would turn every read into a miss by itself: off, so
      // that what is seen is the tiered store's doing.
      breaker: false,
      logger: { warn: () => {} },
    });
    opened.push({ store, cache });
    await Promise.all([store.ready(), (store.l2 as RedisStore).ready()]);
    return { store, cache };
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedisServer();
  });

  afterEach(async () => {
    server.thaw();
    for (const { store, cache } of opened.splice(0)) {
      await cache.close();
      await store.close();
    }
    await server.restart(); // the next test starts from an empty server
  });

  after(async () => {
    await server.stop();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  it('the writer never reads the value its own delete or set replaced; another process only until its heartbeat is overdue', async (t) => {
    // The writer keeps the default heartbeat (5 s): its guarantee must not rest on it.
    const writer = await open();
    const other = await open({ interval: 100, timeout: 500 });
    await writer.cache.set('del', 'v1');
    await writer.cache.set('over', 'v1');
    for (const { store, cache } of [writer, other]) {
      assert.equal(await cache.get('del'), 'v1');
      assert.equal(await cache.get('over'), 'v1');
      assert.equal(store.l1.size, 2, 'both are L1 hits now');
    }

    server.freeze();
    const frozenAt = performance.now();
    const deleted = writer.cache.delete('del');
    const overwritten = writer.cache.set('over', 'v2');
    // Core reaches the store a few microtasks into delete() and set() (it
    // awaits the stored key); a get issued in this same tick would reach it
    // first, concurrent with the write. From the next turn on, both writes are
    // with the store.
    await nextTurn();
    const writerSaw: unknown[] = [];
    const otherSaw: Array<{ atMs: number; value: unknown }> = [];
    while (performance.now() - frozenAt < 1_000) {
      writerSaw.push(await writer.cache.get('del'), await writer.cache.get('over'));
      const value = await other.cache.get('del');
      otherSaw.push({ atMs: performance.now() - frozenAt, value });
      await sleep(10);
    }
    // Core gave up on both writes after its timeout and journaled them; L2 has not run them.
    assert.equal(await deleted, 'journaled');
    await overwritten;
    assert.ok(writerSaw.length >= 4, `${writerSaw.length} reads`);
    assert.ok(!writerSaw.includes('v1'), `the writer read ${JSON.stringify(writerSaw)}`);

    // The other process heard nothing (the server is frozen) and answers from
    // L1 until its heartbeat is overdue; then it reads L2, which times out.
    await waitFor(() => other.store.stats().l1 === 'quarantined', 5_000, 'the other L1 to be quarantined');
    assert.ok(other.store.stats().heartbeatTimeouts >= 1);
    const served = otherSaw.filter((read) => read.value === 'v1');
    const lastV1AtMs = served.at(-1)?.atMs ?? 0;
    const firstMiss = otherSaw.findIndex((read) => read.value !== 'v1');
    t.diagnostic(
      `writer: ${writerSaw.length} reads, none v1; other: v1 until ${lastV1AtMs.toFixed(0)} ms, then misses from ${otherSaw[firstMiss]?.atMs.toFixed(0)} ms`,
    );
    assert.ok(
      otherSaw.slice(firstMiss === -1 ? otherSaw.length : firstMiss).every((read) => read.value !== 'v1'),
      'once quarantined, the other process never serves its copy again',
    );
    // Its bound is heartbeat timeout + interval (600 ms) after the last echo; a generous multiple here.
    assert.ok(lastV1AtMs < 3_000, `the other process served v1 until ${lastV1AtMs.toFixed(0)} ms`);
    assert.equal(await other.cache.get('del'), undefined, 'quarantined: an L2 read, which times out');

    server.thaw();
    // The frozen writes run now, and publish their invalidations with them.
    await waitFor(
      () => writer.store.stats().l1 === 'live' && other.store.stats().l1 === 'live',
      5_000,
      'both L1s to serve again',
    );
    // The set that timed out was journaled as a delete (core cannot know
    // whether v2 landed): once replayed, both keys are misses everywhere, never v1.
    assert.equal(await writer.cache.flushInvalidations(), true);
    for (const { cache } of [writer, other]) {
      assert.equal(await cache.get('del'), undefined);
      assert.equal(await cache.get('over'), undefined);
    }
  });

  it('the first timed-out call quarantines L1; an echo after the thaw brings it back', async () => {
    const { store, cache } = await open({ interval: 1_000, timeout: 5_000 });
    await cache.set('k', 'v');
    assert.equal(await cache.get('k'), 'v');
    assert.ok(isL1Hit(store, cache, 'k'), 'an L1 hit');

    server.freeze();
    assert.equal(await cache.get('absent'), undefined, 'one call, timed out');
    const stats = store.stats();
    assert.equal(stats.l1, 'quarantined', 'at once, not after the 5 s heartbeat');
    assert.equal(stats.suspicions, 1);
    assert.equal(stats.quarantines, 1);
    assert.equal(stats.heartbeatTimeouts, 0);
    assert.equal(store.l1.size, 0);
    assert.equal(await cache.get('k'), undefined, 'not from L1: an L2 read, which times out');

    await sleep(300);
    assert.equal(store.stats().l1, 'quarantined', 'no echo while frozen');
    server.thaw();
    // The probe published on the failure (queued in the frozen socket) comes back.
    await waitFor(() => store.stats().l1 === 'live', 3_000, 'L1 to serve again');
    assert.equal(store.stats().heartbeatTimeouts, 0);
    assert.equal(await cache.get('k'), 'v');
    assert.ok(isL1Hit(store, cache, 'k'), 'an L1 hit again');
  });
});
