/**
 * One process of the stampede benchmark (started by bench/stampede.ts with
 * `fork`): it opens every contender once, then on each `run` message waits for
 * the shared start instant and fires `callers` concurrent reads of one cold key
 * through one contender, and reports when they all settled. The factory counts
 * its calls with INCR in Redis, so the count covers every process. Each Larder
 * contender has a cache (and a Redis connection, and so a circuit breaker) of
 * its own, and `settle` waits until every breaker is closed again, so no run
 * starts in the state a previous run left behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from 'redis';
import { type Cache, createCache, redisStore } from './larder-shared.js';
import { bentoTiered, cacheManagerRedis } from './peer-caches.js';
import type { LarderRunCounters, StampedeDone, StampedeMessage } from './stampede-protocol.js';

const TTL_MS = 60_000;
/** The key `settle` reads to probe a breaker: never stored, so always a miss. */
const PROBE_KEY = 'settle-probe';

/** Reads `key` once through a contender, calling `factory` on a miss. */
type Read = (key: string, factory: () => Promise<unknown>) => Promise<unknown>;

/** The Larder cache of each Larder contender. */
const larders = new Map<string, Cache>();
/** Larder error events of the current run, by `operation code`. */
let errorKinds: Record<string, number> = {};

const closers: Array<() => Promise<unknown>> = [];
let reads = new Map<string, Read>();
let counter: RedisClientType | undefined;
let callers = 0;
let factoryMs = 0;

async function init(redisUrl: string, prefix: string): Promise<void> {
  counter = createClient({ url: redisUrl }) as RedisClientType;
  await counter.connect();
  const naive = createClient({ url: redisUrl }) as RedisClientType;
  await naive.connect();
  closers.push(
    () => (counter as RedisClientType).close(),
    () => naive.close(),
  );

  for (const contender of ['larder-lease', 'larder-no-lock']) {
    const store = redisStore({ url: redisUrl });
    await store.ready();
    const cache = createCache({ store, prefix: `${prefix}${contender}` });
    cache.on('error', ({ operation, code }) => {
      const kind = `${operation} ${code}`;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    });
    larders.set(contender, cache);
    closers.push(() => cache.close());
  }
  const lease = larders.get('larder-lease') as Cache;
  const noLock = larders.get('larder-no-lock') as Cache;
  const bento = bentoTiered({ redisUrl, prefix: `${prefix}bento:`, serializeL1: true, maxItems: 10_000 });
  closers.push(() => bento.disconnectAll());
  const manager = cacheManagerRedis(redisUrl, `${prefix}cm`);
  closers.push(() => manager.disconnect());

  reads = new Map<string, Read>([
    ['larder-lease', (key, factory) => lease.getOrSet(key, factory, { ttl: TTL_MS })],
    ['larder-no-lock', (key, factory) => noLock.getOrSet(key, factory, { ttl: TTL_MS, lock: false })],
    ['bentocache', (key, factory) => bento.getOrSet({ key, factory, ttl: TTL_MS })],
    ['cache-manager', (key, factory) => manager.wrap(key, factory, TTL_MS)],
    [
      'naive',
      async (key, factory) => {
        const stored = await naive.get(`${prefix}naive:${key}`);
        if (stored !== null) return JSON.parse(stored) as unknown;
        const value = await factory();
        await naive.set(`${prefix}naive:${key}`, JSON.stringify(value), {
          expiration: { type: 'PX', value: TTL_MS },
        });
        return value;
      },
    ],
  ]);
}

/**
 * Wait until every Larder breaker is closed: an open breaker lets a probe
 * through after its `halfOpenAfter` (1 s by default), and a successful probe closes
 * it. Resolves how many were not closed.
 */
async function settle(): Promise<number> {
  let open = 0;
  for (const cache of larders.values()) {
    if (cache.stats().breaker === 'closed') continue;
    open++;
    const deadlineAt = Date.now() + 10_000;
    while (cache.stats().breaker !== 'closed' && Date.now() < deadlineAt) {
      await cache.get(PROBE_KEY);
      await sleep(50);
    }
  }
  return open;
}

/** Sleep most of the way, then spin: a timer alone can be a millisecond late. */
async function waitUntil(instant: bigint): Promise<void> {
  const leftMs = Number(instant - process.hrtime.bigint()) / 1e6;
  if (leftMs > 3) await sleep(leftMs - 3);
  while (process.hrtime.bigint() < instant) {
    // Spin: at most ~3 ms, once per run.
  }
}

async function run(
  contender: string,
  key: string,
  counterKey: string,
  startAt: bigint,
): Promise<StampedeDone> {
  const read = reads.get(contender);
  if (read === undefined || counter === undefined) throw new Error(`unknown contender ${contender}`);
  const count = counter;
  const factory = async () => {
    await count.incr(counterKey);
    await sleep(factoryMs);
    return { key, computedBy: process.pid };
  };
  const larder = larders.get(contender);
  const before = larder?.stats();
  errorKinds = {};
  await waitUntil(startAt);
  const startedAt = process.hrtime.bigint();
  const results = await Promise.allSettled(Array.from({ length: callers }, () => read(key, factory)));
  const finishedAt = process.hrtime.bigint();
  const after = larder?.stats();
  const rejected = results.filter((result) => result.status === 'rejected');
  return {
    type: 'done',
    startedAt: String(startedAt),
    finishedAt: String(finishedAt),
    errors: rejected.length,
    firstError: rejected[0] === undefined ? undefined : String(rejected[0].reason),
    empty: results.filter((result) => result.status === 'fulfilled' && result.value == null).length,
    larder:
      before === undefined || after === undefined
        ? undefined
        : ({
            factoryCalls: after.factoryCalls - before.factoryCalls,
            coalesced: after.coalesced - before.coalesced,
            leaseWaits: after.leaseWaits - before.leaseWaits,
            leaseTakeovers: after.leaseTakeovers - before.leaseTakeovers,
            errors: after.errors - before.errors,
            errorKinds,
          } satisfies LarderRunCounters),
  };
}

process.on('message', (message: StampedeMessage) => {
  const reply = (answer: unknown) => process.send?.(answer);
  const fail = (error: unknown) => reply({ type: 'error', error: String((error as Error)?.stack ?? error) });
  if (message.type === 'init') {
    callers = message.callers;
    factoryMs = message.factoryMs;
    init(message.redisUrl, message.prefix).then(() => reply({ type: 'ready' }), fail);
  } else if (message.type === 'settle') {
    settle().then((open) => reply({ type: 'settled', open }), fail);
  } else if (message.type === 'run') {
    run(message.contender, message.key, message.counterKey, BigInt(message.startAt)).then(reply, fail);
  } else if (message.type === 'close') {
    (async () => {
      for (const close of closers) await close();
    })().then(() => process.disconnect(), fail);
  }
});
// The parent is gone: nothing will ever tell this process to stop.
process.on('disconnect', () => setTimeout(() => process.exit(0), 1000).unref());
