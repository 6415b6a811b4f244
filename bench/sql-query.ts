/**
 * Issue 4's query benchmark: `cachedPool` (larder/sql) against a raw `pg.Pool`
 * on 100,000 products, for a primary-key lookup and "20 products of a category
 * ordered by price", at 50 callers in flight: raw, cached with every call a
 * miss, and cached with every call a hit, interleaved in the same run. Targets:
 * the miss path within 1.1x raw latency, hits at least 5x raw throughput.
 *
 *   node --import tsx bench/sql-query.ts [--runs 5] [--duration-ms 2000] [--warmup-ms 300] [--concurrency 50]
 *     [--pool-size 10] [--products 100000] [--categories 100] [--hot-ids 10000] [--private-server 1]
 *
 * Uses the shared Postgres at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * in a schema of its own, and the shared Redis at REDIS_URL under a unique key
 * prefix; both are removed at the end. `--private-server 1` starts a
 * redis-server of its own instead, and then also counts the Redis commands a
 * call costs in each cached mode (INFO commandstats, exact on a quiet server).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { createRandom, type Random, randomInt } from './lib/create-random.js';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import {
  type Cache,
  cachedPool,
  createCache,
  larderBuild,
  redisStore,
  type SqlStats,
} from './lib/larder-cached-pool.js';
import { numericArgs } from './lib/parse-args.js';
import { createProductsTable, PRODUCT_COLUMNS } from './lib/products-table.js';
import { formatCommandsPerOp, redisCommandCounts } from './lib/redis-command-counts.js';
import { redisVersion } from './lib/redis-version.js';
import { type RunResult, runOnce, summarize, type ThroughputResult } from './lib/run-throughput.js';
import { formatSqlQueryReport, type ModeSummary } from './lib/sql-query-report.js';
import { startRedisServer } from './lib/start-redis-server.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({
  runs: 5,
  'duration-ms': 2000,
  'warmup-ms': 300,
  concurrency: 50,
  'pool-size': 10,
  products: 100_000,
  categories: 100,
  'hot-ids': 10_000,
  'private-server': 0,
});

const server = args['private-server'] ? await startRedisServer() : undefined;
const redisUrl = server?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `larder-bench:sql-query:${process.pid}-${randomBytes(4).toString('hex')}:`;

/** CPU time, in µs, of this process, of the Postgres processes and of the redis-servers. */
interface CpuByProcess {
  readonly node: number;
  readonly postgres: number;
  readonly redis: number;
}

/** CPU ticks so far of each Postgres and redis-server process, by pid, and this process's own CPU. */
interface CpuSnapshot {
  readonly ownUs: number;
  readonly ticks: ReadonlyMap<string, { readonly kind: 'postgres' | 'redis'; readonly ticks: number }>;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux, which Node cannot ask). */
const TICKS_PER_SECOND = 100;

/** A snapshot for `cpuSince` (Linux only: `undefined` without /proc). */
function cpuSnapshot(): CpuSnapshot | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const ticks = new Map<string, { readonly kind: 'postgres' | 'redis'; readonly ticks: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const kind = name.startsWith('postgres')
      ? 'postgres'
      : name.startsWith('redis-server')
        ? 'redis'
        : undefined;
    if (kind === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(pid, { kind, ticks: Number(fields[11]) + Number(fields[12]) }); // utime + stime
  }
  const own = process.cpuUsage();
  return { ownUs: own.user + own.system, ticks };
}

/**
 * Where the CPU went between two snapshots: on a machine whose cores Node,
 * Postgres and Redis share, CPU that Node spends per call is CPU Postgres does
 * not get. Every Postgres and redis-server process on the machine counts,
 * whoever's load it serves; a process that exited in between is missed.
 */
function cpuSince(before: CpuSnapshot, after: CpuSnapshot): CpuByProcess {
  const spent = { postgres: 0, redis: 0 };
  for (const [pid, now] of after.ticks) spent[now.kind] += now.ticks - (before.ticks.get(pid)?.ticks ?? 0);
  const us = 1_000_000 / TICKS_PER_SECOND;
  return { node: after.ownUs - before.ownUs, postgres: spent.postgres * us, redis: spent.redis * us };
}

/** One of the two statements; `$2` is the nonce (see `Mode.nonce`). */
interface BenchQuery {
  readonly id: 'pk' | 'category';
  readonly label: string;
  readonly text: string;
  /** The `$1` of one call. */
  readonly pick: (random: Random) => number;
}

/** One way of sending the statements. */
interface Mode {
  readonly id: 'raw' | 'miss' | 'hit';
  readonly label: string;
  readonly pool: pg.Pool;
  /**
   * The `$2` of one call. `0` except in the miss mode, where it never repeats
   * within the run: a key that was never stored, so every call is a miss.
   */
  readonly nonce: () => number;
  readonly stats?: () => SqlStats;
  readonly cache?: Cache;
}

const startedAt = Date.now();
const redis = createClient({ url: redisUrl }) as RedisClientType;
await redis.connect();
const table = await createProductsTable(databaseUrl, {
  products: args.products,
  categories: args.categories,
});
const modes: Mode[] = [];
try {
  const setupRandom = createRandom(4);
  const hotIds = new Set<number>();
  while (hotIds.size < Math.min(args['hot-ids'], args.products))
    hotIds.add(randomInt(setupRandom, 1, args.products));
  const ids = [...hotIds];
  const queries: BenchQuery[] = [
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
  // Miss entries expire soon (they are never read again); hit entries must outlive the run.
  const missPool = cachedPool(newPool(), missCache, { ttl: '2m' });
  const hitPool = cachedPool(newPool(), hitCache, { ttl: '30m' });
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
  );

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
      `miss (cache lookup, generation snapshot, the query, the store); ${args.concurrency} callers in flight, one ` +
      `pg.Pool of max ${args['pool-size']} per mode; cache = createCache({ store: redisStore (${server ? 'private' : 'shared'} Redis), ` +
      `prefix }) with defaults (msgpack, gzip >= 1 KiB) per cached mode, the hit mode warmed with every key it reads; ` +
      `${queries.length * modes.length} configurations x ${args.runs} runs of ${args['duration-ms']} ms ` +
      `(+${args['warmup-ms']} ms warm-up, 4x before the first), interleaved, order rotated each round; ` +
      `p50/p99 are medians over runs of each run's percentiles.`,
  );

  const everyArg = (query: BenchQuery) =>
    query.id === 'pk' ? ids : Array.from({ length: args.categories }, (_, i) => i + 1);
  const inParallel = async (items: readonly number[], work: (item: number) => Promise<unknown>) => {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await work(items[next++] as number);
    };
    await Promise.all(Array.from({ length: args.concurrency }, worker));
  };

  // Warm the hit mode: every argument once (a miss that stores), then once more, which must all be hits.
  const hit = modes[2] as Mode;
  for (const query of queries)
    await inParallel(everyArg(query), (arg) => hit.pool.query(query.text, [arg, 0]));
  const beforeCheck = hitPool.stats();
  for (const query of queries)
    await inParallel(everyArg(query), (arg) => hit.pool.query(query.text, [arg, 0]));
  const warmed = queries.reduce((sum, query) => sum + everyArg(query).length, 0);
  assert.equal(
    hitPool.stats().hits - beforeCheck.hits,
    warmed,
    'the second pass over the warmed keys must be all hits',
  );

  // Same rows, same JavaScript types, whichever way they came.
  const checkRandom = createRandom(9);
  for (const query of queries) {
    for (let i = 0; i < 50; i++) {
      const arg = query.pick(checkRandom);
      const [raw, miss, cached] = await Promise.all(
        modes.map((mode) => mode.pool.query(query.text, [arg, mode.nonce()])),
      );
      assert.ok(raw !== undefined && raw.rows.length > 0, `${query.label}(${arg}) returned no row`);
      assert.deepStrictEqual(miss?.rows, raw.rows);
      assert.deepStrictEqual(cached?.rows, raw.rows);
    }
  }

  const configs = queries.flatMap((query) => modes.map((mode) => ({ query, mode })));
  const runs = new Map(configs.map((config) => [config, [] as RunResult[]]));
  const outcomes = new Map(configs.map((config) => [config, { hits: 0, misses: 0, bypasses: 0 }]));
  const cpu = new Map(configs.map((config) => [config, { calls: 0, node: 0, postgres: 0, redis: 0 }]));
  for (let round = 0; round < args.runs; round++) {
    const shift = round % configs.length;
    for (const config of [...configs.slice(shift), ...configs.slice(0, shift)]) {
      const { query, mode } = config;
      const random = createRandom(1000 * round + configs.indexOf(config));
      const before = mode.stats?.();
      let calls = 0;
      const cpuBefore = cpuSnapshot();
      const result = await runOnce({
        op: (_index) => {
          calls++;
          return mode.pool.query(query.text, [query.pick(random), mode.nonce()]).then((r) => r.rows[0]);
        },
        concurrency: args.concurrency,
        durationMs: args['duration-ms'],
        warmupMs: round === 0 ? 4 * args['warmup-ms'] : args['warmup-ms'],
      });
      const cpuAfter = cpuSnapshot();
      const spent = cpu.get(config);
      if (cpuBefore !== undefined && cpuAfter !== undefined && spent !== undefined) {
        // Over the whole run, warm-up included, per call made (also warm-up included).
        const used = cpuSince(cpuBefore, cpuAfter);
        spent.calls += calls;
        spent.node += used.node;
        spent.postgres += used.postgres;
        spent.redis += used.redis;
      }
      runs.get(config)?.push(result);
      const after = mode.stats?.();
      const counted = outcomes.get(config);
      if (before !== undefined && after !== undefined && counted !== undefined) {
        counted.hits += after.hits - before.hits;
        counted.misses += after.misses - before.misses;
        counted.bypasses += after.bypasses - before.bypasses;
      }
      console.error(
        `  round ${round + 1} ${query.label}, ${mode.label}: ${(result.opsPerSec / 1000).toFixed(1)} k ops/s, ` +
          `p50 ${(result.p50Ms * 1000).toFixed(0)} µs${result.misses ? `, ${result.misses} EMPTY RESULTS` : ''}`,
      );
    }
  }

  // Commands per call, in a pass of its own: the runs' warm-ups make their own counts inexact.
  const commands = new Map<string, string>();
  if (server !== undefined) {
    for (const { query, mode } of configs.filter((config) => config.mode.stats !== undefined)) {
      const random = createRandom(77);
      const calls = Array.from({ length: 1000 }, () => query.pick(random));
      const before = await redisCommandCounts(redis);
      await inParallel(calls, (arg) => mode.pool.query(query.text, [arg, mode.nonce()]));
      commands.set(
        `${query.id} ${mode.id}`,
        formatCommandsPerOp(before, await redisCommandCounts(redis), 1000),
      );
    }
  }

  const summaries: ModeSummary[] = configs.map((config) => ({
    query: config.query.label,
    mode: config.mode.id,
    label: config.mode.label,
    result: summarize(config.mode.label, args.concurrency, runs.get(config) ?? []) as ThroughputResult,
    outcomes: config.mode.stats === undefined ? undefined : outcomes.get(config),
    redisCommands: commands.get(`${config.query.id} ${config.mode.id}`),
  }));

  console.log();
  console.log(formatSqlQueryReport(summaries));
  if (configs.some((config) => (cpu.get(config)?.calls ?? 0) > 0)) {
    const perCall = (us: number, calls: number) => `${Math.round(us / calls)} µs`;
    console.log(
      `\nCPU per call by process (all runs, warm-ups included; /proc, ${os.availableParallelism()} cores shared):\n${formatTable(
        ['query', 'mode', 'Node', 'Postgres', 'Redis', 'all three'],
        configs.map((config) => {
          const { calls, node, postgres, redis } = cpu.get(config) ?? {
            calls: 0,
            node: 0,
            postgres: 0,
            redis: 0,
          };
          return [
            config.query.label,
            config.mode.label,
            perCall(node, calls),
            perCall(postgres, calls),
            perCall(redis, calls),
            perCall(node + postgres + redis, calls),
          ];
        }),
      )}`,
    );
  }
  console.log(
    `\ntotal time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; load average at the end ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; raw results: ${writeResults('sql-query', {
      args,
      postgres: table.serverVersion,
      results: summaries,
      cpuPerCall: configs.map((config) => ({
        query: config.query.id,
        mode: config.mode.id,
        ...cpu.get(config),
      })),
    })}`,
  );
} finally {
  for (const mode of modes) {
    await mode.pool.end().catch((error: unknown) => console.error(`ending ${mode.label}:`, error));
    await mode.cache?.close();
  }
  await table.drop();
  const deleted = await deletePrefix(redis, prefix);
  console.error(`cleanup: dropped schema ${table.schema}, deleted ${deleted} Redis keys under ${prefix}`);
  await redis.quit();
  await server?.stop();
}
