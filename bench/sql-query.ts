/**
 * Issue 4's query benchmark: `cachedPool` (larder/sql) against a raw `pg.Pool`
 * on 100,000 products, for a primary-key lookup and "20 products of a category
 * ordered by price", interleaved in the same run: raw, cached with every call a
 * miss, cached with every call a hit in Redis (`redisStore`), and cached with
 * every call a hit in the in-process L1 of a `tieredStore`. Targets: hits at
 * least 5x raw throughput; with one caller in flight, a miss adds at most the
 * bare lookup's p50 (a node-redis GET + MGET) + 30 µs over the raw query (issue
 * 10's restatement of issue 4's 1.1x, which the lookup alone exceeds); at 50
 * callers the Node CPU a miss adds per call is reported.
 *
 * Two phases. First 50 callers in flight, the throughput targets, and the CPU
 * per call of each process. Then one caller in flight, which isolates what a
 * miss adds to a call from CPU queueing: at 50 callers on 2 shared cores p50 is
 * mostly time queued (Little's law), so there the latency ratio is really a
 * ratio of CPU per call.
 *
 *   node --import tsx bench/sql-query.ts [--runs 5] [--duration-ms 2000] [--warmup-ms 300] [--concurrency 50]
 *     [--latency-runs 6] [--latency-duration-ms 1000] [--pool-size 10] [--products 100000]
 *     [--categories 100] [--hot-ids 10000] [--private-server 1]
 *
 * Uses the shared Postgres at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * in a schema of its own, and the shared Redis at REDIS_URL under a unique key
 * prefix (the tiered store's bus channel is named after it too); both are
 * removed at the end. `--private-server 1` starts a redis-server of its own
 * instead, and then also counts the Redis commands a call costs in each cached
 * mode (INFO commandstats, exact on a quiet server).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { createRandom, randomInt } from './lib/create-random.js';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { cachedPool, createCache, larderBuild, redisStore, tieredStore } from './lib/larder-cached-pool.js';
import { numericArgs } from './lib/parse-args.js';
import { createProductsTable, PRODUCT_COLUMNS } from './lib/products-table.js';
import { formatCommandsPerOp, redisCommandCounts } from './lib/redis-command-counts.js';
import { redisVersion } from './lib/redis-version.js';
import { summarize } from './lib/run-throughput.js';
import {
  formatCpuPerCall,
  formatLookupFloor,
  formatMissCpu,
  formatSqlLatencyReport,
  formatSqlQueryReport,
  type ModeSummary,
  missBeyondFloor,
  missOverheads,
} from './lib/sql-query-report.js';
import {
  runSqlQueryRounds,
  type SqlBenchMode,
  type SqlBenchQuery,
  type SqlConfigRuns,
} from './lib/sql-query-rounds.js';
import { startRedisServer } from './lib/start-redis-server.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({
  runs: 5,
  'duration-ms': 2000,
  'warmup-ms': 300,
  concurrency: 50,
  'latency-runs': 6,
  'latency-duration-ms': 1000,
  'pool-size': 10,
  products: 100_000,
  categories: 100,
  'hot-ids': 10_000,
  'private-server': 0,
});

const server = args['private-server'] ? await startRedisServer() : undefined;
const redisUrl = server?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `larder-bench.sql-query.${process.pid}-${randomBytes(4).toString('hex')}.`;
/**
 * The tiered store's cap on an L1 copy's life, raised from its 60 s default to
 * the entries' own TTL: warmed once, the L1 copies must outlive the run, or
 * later rounds would read Redis. One process, so no invalidation can be missed.
 */
const L1_MAX_TTL_MS = 30 * 60_000;
/**
 * The tiered store's heartbeat timeout: the longest run plus the default 5 s. A
 * run of L1 hits never yields to the event loop (every call settles in
 * microtasks), so the heartbeat's echo is read only after the run; with the
 * default, a run longer than ~4 s would quarantine L1 and empty it.
 */
const HEARTBEAT_TIMEOUT_MS =
  4 * args['warmup-ms'] + Math.max(args['duration-ms'], args['latency-duration-ms']) + 5_000;

/** A configuration's key in the map of Redis commands per call. */
const configKey = (query: SqlBenchQuery, mode: SqlBenchMode) => `${query.id} ${mode.id}`;

/** The summaries of one phase's configurations, for the report and the results file. */
function summarizeModes(
  measured: readonly SqlConfigRuns[],
  concurrency: number,
  commands?: ReadonlyMap<string, string>,
): ModeSummary[] {
  return measured.map(({ query, mode, runs, outcomes }) => ({
    query: query.label,
    mode: mode.id,
    label: mode.label,
    result: summarize(mode.label, concurrency, runs),
    outcomes,
    redisCommands: commands?.get(configKey(query, mode)),
  }));
}

/** CPU per configuration, for the results file. */
const cpuOf = (measured: readonly SqlConfigRuns[]) =>
  measured.map(({ query, mode, cpu }) => ({ query: query.id, mode: mode.id, ...cpu }));

const startedAt = Date.now();
const redis = createClient({ url: redisUrl }) as RedisClientType;
await redis.connect();
const table = await createProductsTable(databaseUrl, {
  products: args.products,
  categories: args.categories,
});
const modes: SqlBenchMode[] = [];
try {
  const setupRandom = createRandom(4);
  const hotIds = new Set<number>();
  while (hotIds.size < Math.min(args['hot-ids'], args.products))
    hotIds.add(randomInt(setupRandom, 1, args.products));
  const ids = [...hotIds];
  const queries: SqlBenchQuery[] = [
    {
      id: 'pk',
      label: 'primary key',
      text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1 AND $2::bigint >= 0`,
      pick: (random) => ids[Math.floor(random() * ids.length)] as number,
    },
    {
      id: 'category',
      label: '20 of a category by price',
      text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE category_id = $1 AND $2::bigint >= 0 ORDER BY price LIMIT 20`,
      pick: (random) => randomInt(random, 1, args.categories),
    },
  ];

  const newPool = () =>
    new pg.Pool({
      connectionString: databaseUrl,
      max: args['pool-size'],
      options: `-c search_path=${table.schema}`,
    });
  const newCache = (name: string) =>
    createCache({ store: redisStore({ url: redisUrl }), prefix: `${prefix}${name}` });
  let missNonce = 0;
  const missCache = newCache('miss');
  const hitCache = newCache('hit');
  // The channel is not a key (nothing to delete), but named after the run so no other run hears it.
  const channel = `${prefix}hit-l1`;
  const tiered = tieredStore({
    l2: redisStore({ url: redisUrl }),
    channel,
    l1MaxTtl: L1_MAX_TTL_MS,
    heartbeat: { timeout: HEARTBEAT_TIMEOUT_MS },
  });
  const hitL1Cache = createCache({ store: tiered, prefix: `${prefix}hit-l1` });
  // Miss entries expire soon (they are never read again); hit entries must outlive the run.
  const missPool = cachedPool(newPool(), missCache, { ttl: '2m' });
  const hitPool = cachedPool(newPool(), hitCache, { ttl: '30m' });
  const hitL1Pool = cachedPool(newPool(), hitL1Cache, { ttl: '30m' });
  modes.push(
    { id: 'raw', label: 'raw pg.Pool', pool: newPool(), nonce: () => 0 },
    {
      id: 'miss',
      label: 'cachedPool, every call a miss',
      pool: missPool,
      nonce: () => ++missNonce,
      stats: () => missPool.stats(),
      cache: missCache,
    },
    {
      id: 'hit',
      label: 'cachedPool, every call a hit',
      pool: hitPool,
      nonce: () => 0,
      stats: () => hitPool.stats(),
      cache: hitCache,
    },
    {
      id: 'hit-l1',
      label: 'cachedPool on tieredStore, every call an L1 hit',
      pool: hitL1Pool,
      nonce: () => 0,
      stats: () => hitL1Pool.stats(),
      l2Reads: () => tiered.stats().l2Reads,
      cache: hitL1Cache,
    },
  );

  const everyArg = (query: SqlBenchQuery) =>
    query.id === 'pk' ? ids : Array.from({ length: args.categories }, (_, i) => i + 1);
  const warmed = queries.reduce((sum, query) => sum + everyArg(query).length, 0);
  console.log('# SQL query caching: cachedPool vs raw pg.Pool (issue 4)');
  console.log(describeEnvironment(await redisVersion(redis)));
  console.log(
    `postgres ${table.serverVersion} (same machine, loopback); pg ${packageVersion('pg')}, ` +
      `libpg-query ${packageVersion('libpg-query')}; ${os.availableParallelism()} cores shared by Node, Postgres and Redis`,
  );
  console.log(`library: ${larderBuild}`);
  console.log(
    server ? `redis: a private redis-server at ${server.url}` : `redis: the shared server at ${redisUrl}`,
  );
  console.log(
    `method: table products (${table.products.toLocaleString('en-US')} rows, ${args.categories} categories of ` +
      `${Math.round(table.products / args.categories)}; id bigint primary key, category_id integer, price numeric(10,2), ` +
      `name text, description text of 100 chars, created_at timestamptz; index (category_id, price); ` +
      `${(table.totalBytes / 2 ** 20).toFixed(1)} MiB with indexes, so it sits in shared_buffers) in a schema of the ` +
      `run's own, on search_path; queries "SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1 AND $2::bigint >= 0" ` +
      `(id uniform over ${ids.length.toLocaleString('en-US')} ids spread over the table) and "... WHERE category_id = $1 ` +
      `AND $2::bigint >= 0 ORDER BY price LIMIT 20" (category uniform over ${args.categories}); every mode sends these ` +
      `same texts; $2 is 0, except in the miss mode where it counts up, so no key repeats and each call is a real ` +
      `miss (cache lookup, generation snapshot, the query, the store); one pg.Pool of max ${args['pool-size']} per ` +
      `mode; cache = createCache({ store: redisStore (${server ? 'private' : 'shared'} Redis), prefix }) with defaults ` +
      `(msgpack, gzip >= 1 KiB) per cached mode, except the L1 mode's: createCache({ store: tieredStore({ l2: ` +
      `redisStore, channel of the run's own, l1MaxTtl ${L1_MAX_TTL_MS / 60_000} min (default 60 s, shorter than ` +
      `the run), heartbeat timeout ${HEARTBEAT_TIMEOUT_MS / 1000} s (default 5 s; a run of L1 hits never ` +
      `yields to the event loop, so the heartbeat's echo is read only after it) }), prefix }) with the default ` +
      `L1 (memoryStore: 100,000 entries, 64 MiB, for ${warmed.toLocaleString('en-US')} results and their tag ` +
      `counters); both hit modes warmed with every key they read (a second pass must be all hits, and in the L1 ` +
      `mode read nothing from Redis); ${args.concurrency} callers in flight: ` +
      `${queries.length * modes.length} configurations x ${args.runs} runs of ${args['duration-ms']} ms ` +
      `(+${args['warmup-ms']} ms warm-up, 4x before the first); then one caller in flight: ` +
      `${queries.length * modes.length} configurations x ${args['latency-runs']} runs of ` +
      `${args['latency-duration-ms']} ms (+${args['warmup-ms']} ms warm-up); runs interleaved, order rotated each ` +
      `round; p50/p99 are medians over runs of each run's percentiles.`,
  );

  const inParallel = async (items: readonly number[], work: (item: number) => Promise<unknown>) => {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await work(items[next++] as number);
    };
    await Promise.all(Array.from({ length: args.concurrency }, worker));
  };
  const readEveryKey = async (mode: SqlBenchMode) => {
    for (const query of queries)
      await inParallel(everyArg(query), (arg) => mode.pool.query(query.text, [arg, mode.nonce()]));
  };

  // L1 serves (and is filled) only once the bus subscription is live.
  await tiered.ready();
  // Warm the hit modes: every argument once (a miss that stores), then once more, which must all be hits.
  for (const mode of modes.filter((mode) => mode.id === 'hit' || mode.id === 'hit-l1')) {
    await readEveryKey(mode);
    // The stores run in the background: without waiting, the last calls' keys would still be in flight.
    await mode.cache?.idle();
    const hits = () => mode.stats?.().hits ?? 0;
    const hitsBefore = hits();
    const l2ReadsBefore = mode.l2Reads?.();
    await readEveryKey(mode);
    assert.equal(
      hits() - hitsBefore,
      warmed,
      `${mode.label}: the second pass over the warmed keys must be all hits`,
    );
    if (l2ReadsBefore !== undefined)
      assert.equal(mode.l2Reads?.(), l2ReadsBefore, `${mode.label}: the second pass must not read Redis`);
  }
  const l1 = tiered.stats();
  assert.ok(
    l1.l1 === 'live' && l1.l1Entries >= warmed,
    `the L1 must hold every warmed result (size it with tieredStore's l1 option): ` +
      `${l1.l1Entries} entries for ${warmed} results, L1 ${l1.l1}`,
  );
  console.log(
    `L1 after warming: ${l1.l1Entries.toLocaleString('en-US')} entries, ` +
      `${(tiered.l1.bytes / 2 ** 20).toFixed(1)} MiB by the memory store's estimate; ` +
      `${l1.l2Reads} L2 reads so far (the first pass)`,
  );

  // Same rows, same JavaScript types, whichever way they came.
  const checkRandom = createRandom(9);
  for (const query of queries) {
    for (let i = 0; i < 50; i++) {
      const arg = query.pick(checkRandom);
      const results = await Promise.all(
        modes.map((mode) => mode.pool.query(query.text, [arg, mode.nonce()])),
      );
      const raw = results[0]; // modes[0] is the raw pool
      assert.ok(raw !== undefined && raw.rows.length > 0, `${query.label}(${arg}) returned no row`);
      for (const [index, mode] of modes.entries())
        assert.deepStrictEqual(results[index]?.rows, raw.rows, `${query.label}(${arg}): ${mode.label}`);
    }
  }

  const measured = await runSqlQueryRounds({
    queries,
    modes,
    rounds: args.runs,
    concurrency: args.concurrency,
    durationMs: args['duration-ms'],
    warmupMs: args['warmup-ms'],
    firstWarmupMs: 4 * args['warmup-ms'],
    seed: 0,
    phase: `${args.concurrency} in flight`,
  });

  // Commands per call, in a pass of its own: the runs' warm-ups make their own counts inexact.
  const commands = new Map<string, string>();
  if (server !== undefined) {
    for (const query of queries) {
      for (const mode of modes.filter((mode) => mode.stats !== undefined)) {
        const random = createRandom(77);
        const calls = Array.from({ length: 1000 }, () => query.pick(random));
        const before = await redisCommandCounts(redis);
        await inParallel(calls, (arg) => mode.pool.query(query.text, [arg, mode.nonce()]));
        commands.set(
          configKey(query, mode),
          formatCommandsPerOp(before, await redisCommandCounts(redis), 1000),
        );
      }
    }
  }
  const summaries = summarizeModes(measured, args.concurrency, commands);
  console.log();
  console.log(formatSqlQueryReport(summaries));
  const cpuTable = formatCpuPerCall(measured, os.availableParallelism());
  if (cpuTable !== undefined) console.log(`\n${cpuTable}`);
  const missCpu = formatMissCpu(measured);
  if (missCpu !== undefined) console.log(`\n${missCpu}`);

  // The floor of any miss: the lookup a miss makes before its query, with nothing of Larder around it.
  // A mode of the one-caller rounds, so that each round pairs it with that round's raw and miss runs.
  const floorKey = `${prefix}floor`;
  const floorMode: SqlBenchMode = {
    id: 'floor',
    label: 'floor: bare node-redis GET + MGET, no query',
    pool: {
      query: (async () => {
        await Promise.all([redis.get(floorKey), redis.mGet([`${floorKey}:a`, `${floorKey}:b`])]);
        return { rows: [0] };
      }) as unknown as pg.Pool['query'],
      end: async () => {},
    },
    nonce: () => 0,
  };
  const latencyMeasured = await runSqlQueryRounds({
    queries,
    modes: [...modes, floorMode],
    rounds: args['latency-runs'],
    concurrency: 1,
    durationMs: args['latency-duration-ms'],
    warmupMs: args['warmup-ms'],
    seed: 500_000,
    phase: '1 in flight',
  });
  const latency = summarizeModes(latencyMeasured, 1);
  console.log(`\n${formatSqlLatencyReport(latency)}`);
  console.log(formatLookupFloor(latency));

  console.log(
    `\ntotal time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; load average at the end ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; raw results: ${writeResults('sql-query', {
      args,
      postgres: table.serverVersion,
      tiered: { channel, l1MaxTtl: L1_MAX_TTL_MS, afterWarming: l1, atEnd: tiered.stats() },
      results: summaries,
      cpuPerCall: cpuOf(measured),
      oneInFlight: {
        results: latency,
        missOverhead: missOverheads(latency),
        missBeyondFloor: missBeyondFloor(latency),
        cpuPerCall: cpuOf(latencyMeasured),
      },
    })}`,
  );
} finally {
  for (const mode of modes) {
    await mode.pool.end().catch((error: unknown) => console.error(`ending ${mode.label}:`, error));
    await mode.cache?.close();
  }
  await table.drop();
  const deleted = await deletePrefix(redis, prefix);
  // A private server holds nothing but this run's keys: any left lay outside the prefix.
  const left = server === undefined ? '' : `; ${await redis.dbSize()} keys left on the private server`;
  console.error(
    `cleanup: dropped schema ${table.schema}, deleted ${deleted} Redis keys under ${prefix}${left}`,
  );
  await redis.quit();
  await server?.stop();
}
