/**
 * Three processes, each with a tiered cache (memory L1 + Redis L2) over one
 * PRIVATE redis-server: a write in one (its L2 write and invalidation in one
 * transaction) becomes visible in the others' L1, and after the server is
 * killed and restarted (empty) while writes go on, no process serves a value
 * from before the outage.
 *
 * This file is also the worker: run with TIERED_WORKER set, it builds the
 * cache and answers requests over IPC instead of registering tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { redisStore } from '../redis/index.js';
import { type TieredStats, type TieredStore, tieredStore } from './index.js';
import { startWorker, type WorkerProcess, type WorkerRequest } from './test-support/worker-process.js';

interface WorkerConfig {
  readonly url: string;
  readonly prefix: string;
  readonly channel: string;
}

/** One read a reader loop made: when it started, what it got, and of which key. */
type ReadRecord = readonly [startedAt: number, value: number | string | null, failed: boolean, key: string];
/** One write of the writer loop: its number, when it was issued, and whether it was acknowledged. */
type WriteRecord = readonly [n: number, issuedAt: number, acked: boolean];

const config = process.env.TIERED_WORKER;
if (config !== undefined) await runWorker(JSON.parse(config) as WorkerConfig);
else registerTests();

// ---------------------------------------------------------------------------
// The worker side

async function runWorker({ url, prefix, channel }: WorkerConfig): Promise<void> {
  const l2 = redisStore({ url, reconnect: { initialDelay: 20, maxDelay: 100 } });
  const store: TieredStore = tieredStore({ l2, channel, retry: { initialDelay: 20, maxDelay: 200 } });
  // 'throw': the loops must know which writes failed. No breaker: after the
  // restart every call should reach Redis again at once.
  const cache: Cache = createCache({
    store,
    prefix,
    onError: 'throw',
    breaker: false,
    storeTimeout: 500,
    logger: { warn: () => {} },
  });
  let writing: Promise<WriteRecord[]> | undefined;
  let reading: Promise<ReadRecord[]> | undefined;
  let running = false;

  const writeLoop = async (key: string, everyMs: number): Promise<WriteRecord[]> => {
    const writes: WriteRecord[] = [];
    for (let n = 1; running; n++) {
      const issuedAt = Date.now();
      try {
        await cache.set(key, n, { ttl: 60_000 });
        writes.push([n, issuedAt, true]);
      } catch {
        writes.push([n, issuedAt, false]);
      }
      await sleep(everyMs);
    }
    return writes;
  };

  const readLoop = async (keys: readonly string[]): Promise<ReadRecord[]> => {
    const reads: ReadRecord[] = [];
    for (let i = 0; running; i++) {
      const key = keys[i % keys.length] as string;
      const startedAt = Date.now();
      try {
        reads.push([startedAt, ((await cache.get(key)) as number | string | undefined) ?? null, false, key]);
      } catch {
        reads.push([startedAt, null, true, key]);
      }
      await sleep(1);
    }
    return reads;
  };

  const handle = async (request: WorkerRequest): Promise<unknown> => {
    const key = request.key as string;
    switch (request.op) {
      case 'get': {
        const before = store.stats().l2Reads;
        const value = await cache.get(key);
        return { value: value ?? null, fromL1: store.stats().l2Reads === before };
      }
      case 'set':
        await cache.set(key, request.value, {
          ttl: 60_000,
          ...(request.tags === undefined ? {} : { tags: request.tags as string[] }),
        });
        return null;
      case 'delete':
        return cache.delete(key);
      case 'invalidateTags':
        await cache.invalidateTags(request.tags as string[]);
        return null;
      case 'stats':
        return store.stats();
      case 'startWriting':
        running = true;
        writing = writeLoop(key, request.everyMs as number);
        return null;
      case 'startReading':
        running = true;
        reading = readLoop(request.keys as string[]);
        return null;
      case 'stop':
        running = false;
        return { writes: (await writing) ?? [], reads: (await reading) ?? [] };
      default:
        throw new Error(`unknown op ${request.op}`);
    }
  };

  process.on('message', (request: WorkerRequest & { id: number }) => {
    if (request.op === 'close') {
      running = false;
      void cache.close().finally(() => process.disconnect());
      return;
    }
    handle(request).then(
      (result) => process.send?.({ id: request.id, result }),
      (error: Error) => process.send?.({ id: request.id, error: `${error.name}: ${error.message}` }),
    );
  });
  await store.ready();
  process.send?.({ id: -1, result: 'ready' });
}

// ---------------------------------------------------------------------------
// The test side

function registerTests(): void {
  const script = fileURLToPath(import.meta.url);
  const prefix = `larder-test.tiered-processes.${process.pid}`;

  describe('tiered store across processes (private redis-server)', () => {
    let server: RedisServer;
    let admin: ReturnType<typeof createClient>;
    let workers: WorkerProcess[] = [];

    const get = (w: WorkerProcess, key: string) =>
      w.call<{ value: unknown; fromL1: boolean }>({ op: 'get', key });

    /** Poll `w` until `key` reads `expected`; returns how long it took. */
    async function eventually(w: WorkerProcess, key: string, expected: unknown, boundMs = 2_000) {
      const startedAt = performance.now();
      let last: unknown;
      while (performance.now() - startedAt < boundMs) {
        last = (await get(w, key)).value;
        if (last === expected) return performance.now() - startedAt;
        await sleep(10);
      }
      assert.fail(
        `worker ${w.pid}: ${key} still read ${String(last)}, not ${String(expected)}, after ${boundMs} ms`,
      );
    }

    before(async () => {
      server = await startRedisServer();
      admin = createClient({ url: server.url });
      admin.on('error', () => {});
      await admin.connect();
      const env = { TIERED_WORKER: JSON.stringify({ url: server.url, prefix, channel: `${prefix}:bus` }) };
      workers = [0, 1, 2].map(() => startWorker(script, env));
      // Each announces itself once its bus subscription is live.
      await Promise.all(workers.map((worker) => worker.ready()));
    });

    after(async () => {
      await Promise.all(workers.map((worker) => worker.stop()));
      admin?.destroy();
      await server?.stop();
    });

    it('a set, a delete and invalidateTags in one process reach the L1 of the others', async () => {
      const [w0, w1, w2] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
      await w0.call({ op: 'set', key: 'user:1', value: 'v1' });
      for (const w of [w1, w2]) {
        assert.equal((await get(w, 'user:1')).value, 'v1');
        assert.deepEqual(await get(w, 'user:1'), { value: 'v1', fromL1: true }, 'now held in L1');
      }
      await admin.configResetStat();
      await w0.call({ op: 'set', key: 'user:1', value: 'v2' });
      for (const w of [w1, w2]) await eventually(w, 'user:1', 'v2');
      // The write and its invalidation went as one transaction (writeAndPublish).
      assert.match(await admin.info('commandstats'), /cmdstat_exec:calls=1,/);
      assert.deepEqual(await get(w0, 'user:1'), { value: 'v2', fromL1: true }, 'the writer wrote through');

      await w1.call({ op: 'delete', key: 'user:1' });
      for (const w of [w0, w2]) await eventually(w, 'user:1', null);

      await w0.call({ op: 'set', key: 'product:1', value: 'p1', tags: ['products'] });
      for (const w of [w0, w1, w2]) {
        assert.equal((await get(w, 'product:1')).value, 'p1');
        assert.equal((await get(w, 'product:1')).fromL1, true);
      }
      await w2.call({ op: 'invalidateTags', tags: ['products'] });
      for (const w of [w0, w1, w2]) await eventually(w, 'product:1', null);
    });

    it('after Redis is killed and restarted under writes, no process serves a value from before the outage', async () => {
      const [writer, ...readers] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
      // 'quiet' is written once, before the outage, and never again: after the
      // restart it exists nowhere but in a stale L1.
      await writer.call({ op: 'set', key: 'quiet', value: 'before the outage' });
      await writer.call({ op: 'startWriting', key: 'race', everyMs: 5 });
      for (const reader of readers) await reader.call({ op: 'startReading', keys: ['race', 'quiet'] });
      await sleep(400);
      for (const reader of readers) {
        const stats = await reader.call<TieredStats>({ op: 'stats' });
        assert.ok(stats.l1Entries >= 2, 'before the outage the readers hold both keys in L1');
      }

      const killAt = Date.now();
      await server.kill();
      await sleep(300);
      await server.restart(); // empty: anything a reader shows from before killAt came from a stale L1
      let liveAgainAt = 0;
      for (const w of workers) {
        const deadline = performance.now() + 10_000;
        while ((await w.call<TieredStats>({ op: 'stats' })).l1 !== 'live') {
          assert.ok(performance.now() < deadline, `worker ${w.pid}: the bus did not come back`);
          await sleep(10);
        }
        liveAgainAt = Date.now();
      }
      await sleep(400);

      const { writes } = await writer.call<{ writes: WriteRecord[] }>({ op: 'stop' });
      const issuedAt = new Map(writes.map(([n, at]) => [n, at]));
      const acked = writes.filter(([, , ok]) => ok);
      assert.ok(
        acked.some(([, at]) => at < killAt),
        'writes succeeded before the outage',
      );
      assert.ok(
        writes.some(([, at, ok]) => at > killAt && !ok),
        'writes failed during the outage',
      );
      const lastAcked = acked.at(-1)?.[0];
      assert.ok(
        lastAcked !== undefined && (issuedAt.get(lastAcked) ?? 0) > liveAgainAt,
        'writes resumed after',
      );

      for (const reader of readers) {
        const { reads } = await reader.call<{ reads: ReadRecord[] }>({ op: 'stop' });
        const afterRecovery = reads.filter(([startedAt, , failed]) => startedAt > liveAgainAt && !failed);
        const race = afterRecovery.filter(([, , , key]) => key === 'race');
        const quiet = afterRecovery.filter(([, , , key]) => key === 'quiet');
        assert.ok(
          race.length > 10 && quiet.length > 10,
          `worker ${reader.pid} kept reading after the recovery`,
        );
        const stale = race.filter(
          ([, value]) => typeof value === 'number' && (issuedAt.get(value) ?? 0) < killAt,
        );
        assert.deepEqual(
          stale.slice(0, 5),
          [],
          `worker ${reader.pid} served values written before the outage`,
        );
        assert.deepEqual(
          quiet.filter(([, value]) => value !== null).slice(0, 5),
          [],
          `worker ${reader.pid} served a key that exists only in its L1 from before the outage`,
        );
        assert.ok(
          race.some(([, value]) => value !== null),
          `worker ${reader.pid} saw writes made after the recovery`,
        );
        const stats = await reader.call<TieredStats>({ op: 'stats' });
        assert.ok(stats.quarantines >= 1, 'the reader quarantined its L1 during the outage');
        await eventually(reader, 'race', lastAcked);
      }
    });
  });
}
