/**
 * What data-dependency collection adds to a cached computation's miss: a
 * `getOrSet` whose factory makes 10 cached SQL queries (`cachedPool`, one per
 * table t0…t9, each a miss too), with collection (the default: the factory runs
 * in a dependency scope, each query records its 2 tags and generations, the
 * outer entry is stored with the 11 distinct tags and their counters kept
 * alive) and without (`collectDependencies: false`: the outer entry untagged,
 * as before issue 11). Target: at most 5 % added per computation.
 *
 * Method: each mode runs in a process of its own (forked workers, same build),
 * so the one without collection never enters an AsyncLocalStorage — on Node 20
 * the first `run()` turns promise hooks on for the whole process, a cost an
 * in-process A/B would hide. One caller in flight (latency, not CPU queueing on
 * 2 shared cores). Rounds alternate between the two processes (order flipped
 * every round), each `--duration-ms` of back-to-back computations after one
 * warm-up round each; every call uses a fresh nonce in its key and in each
 * query's parameters, so every outer call and every inner query is a miss.
 * Per mode: the median over rounds of each round's p50 wall time, and of the
 * worker's CPU time (user + system, `process.cpuUsage`) per computation, with
 * their ranges; "added" compares those medians, and the per-round paired
 * ratios are shown, and the ratio of each mode's best (least disturbed)
 * round. On a machine others share, CPU per call is the steadier figure
 * (wall time includes waiting for cores and for Postgres), and interference
 * only ever adds, so the best rounds are the cleanest pair.
 *
 *   node --import tsx bench/data-dependencies.ts [--rounds 10] [--duration-ms 1500] [--warmup-ms 500] [--rows 1000]
 *
 * A second pair of workers runs the same computation over the memory store,
 * each "query" a tagged `getOrSet` whose factory waits one `setImmediate`
 * (no network): Larder's own CPU, where the difference is not lost in
 * pg's and Redis's.
 *
 * Uses the shared Postgres at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * in a schema of its own, and the shared Redis at REDIS_URL under a unique key
 * prefix; both are removed at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import type {
  DependencyBackend,
  DependencyMessage,
  DependencyMode,
  DependencyReply,
} from './lib/data-dependencies-protocol.js';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { forkWorker, type Worker } from './lib/fork-worker.js';
import { formatTable } from './lib/format-table.js';
import { larderBuild } from './lib/larder-cached-pool.js';
import { numericArgs } from './lib/parse-args.js';
import { redisVersion } from './lib/redis-version.js';
import { formatMicros, spread } from './lib/stats.js';

const args = numericArgs({ rounds: 10, 'duration-ms': 1500, 'warmup-ms': 500, rows: 1000 });
const TABLES = 10;
const MODES: readonly DependencyMode[] = ['with collection', 'without collection'];
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `larder-bench.data-dependencies.${process.pid}-${randomBytes(4).toString('hex')}.`;
const schema = `bench_deps_${process.pid}`;

const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
for (let t = 0; t < TABLES; t++)
  await admin.query(
    `CREATE TABLE ${schema}.t${t} (id int PRIMARY KEY, v text NOT NULL);
     INSERT INTO ${schema}.t${t} SELECT i, md5(i::text) FROM generate_series(1, ${args.rows}) i`,
  );
const redis = createClient({ url: redisUrl }) as RedisClientType;
await redis.connect();

/** One backend's A/B: two workers, alternating rounds; the report lines. */
async function measure(backend: DependencyBackend, index: number): Promise<string> {
  const workers = new Map<DependencyMode, Worker<DependencyMessage, DependencyReply>>();
  try {
    for (const [i, mode] of MODES.entries()) {
      const worker = forkWorker<DependencyMessage, DependencyReply>(
        new URL('./lib/data-dependencies-worker.ts', import.meta.url),
      );
      workers.set(mode, worker);
      await worker.request({
        type: 'init',
        backend,
        mode,
        redisUrl,
        databaseUrl,
        schema,
        prefix: `${prefix}${index}.${i}`,
        tables: TABLES,
        rows: args.rows,
      });
    }
    const round = async (mode: DependencyMode, durationMs: number) => {
      const reply = await workers.get(mode)?.request({ type: 'round', durationMs });
      if (reply?.type !== 'round') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
      return reply;
    };
    // Learn the pool's session and the catalog, parse each statement, warm the JIT.
    for (const mode of MODES) await round(mode, args['warmup-ms']);
    const p50s: Record<DependencyMode, number[]> = { 'with collection': [], 'without collection': [] };
    const cpus: Record<DependencyMode, number[]> = { 'with collection': [], 'without collection': [] };
    const calls: Record<DependencyMode, number> = { 'with collection': 0, 'without collection': 0 };
    const wallRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let r = 0; r < args.rounds; r++) {
      const order = r % 2 === 0 ? MODES : [...MODES].reverse();
      const results = new Map<DependencyMode, { p50: number; cpuPerCallMs: number }>();
      for (const mode of order) {
        const result = await round(mode, args['duration-ms']);
        results.set(mode, result);
        p50s[mode].push(result.p50);
        cpus[mode].push(result.cpuPerCallMs);
        calls[mode] += result.calls;
      }
      const on = results.get('with collection');
      const off = results.get('without collection');
      if (on === undefined || off === undefined) throw new Error('a round is missing a mode');
      wallRatios.push(on.p50 / off.p50);
      cpuRatios.push(on.cpuPerCallMs / off.cpuPerCallMs);
    }
    const range = (values: readonly number[]) => {
      const s = spread(values);
      return `${formatMicros(s.median)} (${formatMicros(s.min)}–${formatMicros(s.max)})`;
    };
    const rows = MODES.map((mode) => [mode, range(p50s[mode]), range(cpus[mode]), String(calls[mode])]);
    const added = (values: Record<DependencyMode, number[]>) => {
      const ratio = spread(values['with collection']).median / spread(values['without collection']).median;
      return `${((ratio - 1) * 100).toFixed(1)} %`;
    };
    /** The least disturbed round of each mode: on a shared machine, interference only adds. */
    const addedAtBest = (values: Record<DependencyMode, number[]>) => {
      const ratio = spread(values['with collection']).min / spread(values['without collection']).min;
      return `${((ratio - 1) * 100).toFixed(1)} %`;
    };
    const paired = (ratios: readonly number[]) => {
      const s = spread(ratios);
      return `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
    };
    return [
      backend === 'sql'
        ? `## 10 cached SQL queries (cachedPool, Redis ${redisUrl}, Postgres ${databaseUrl}; ${TABLES} tables of ${args.rows} rows)`
        : '## 10 tagged getOrSet "queries" on the memory store (each factory waits one setImmediate): Larder alone',
      formatTable(
        ['mode', 'wall p50, median of rounds (range)', 'CPU per call, median of rounds (range)', 'calls'],
        rows,
      ),
      `added by collection — CPU per call: ${added(cpus)} (medians), ${addedAtBest(cpus)} (best rounds), paired ratio ${paired(cpuRatios)};` +
        ` wall p50: ${added(p50s)} (medians), ${addedAtBest(p50s)} (best rounds), paired ratio ${paired(wallRatios)}; target ≤ 5 %`,
    ].join('\n');
  } finally {
    for (const worker of workers.values()) await worker.close({ type: 'close' });
  }
}

try {
  const sql = await measure('sql', 0);
  const memory = await measure('memory', 1);
  console.log(
    '# Data-dependency collection: a computation of 10 cached queries, miss path (bench/data-dependencies.ts)',
  );
  console.log(describeEnvironment(await redisVersion(redis)));
  console.log(`pg ${packageVersion('pg')}; library: ${larderBuild}`);
  console.log(
    `method: one process per mode, 1 in flight; ${args.rounds} rounds of ${args['duration-ms']} ms per mode, alternating (order flipped every round), after a ${args['warmup-ms']} ms warm-up round each;` +
      ' every outer call and inner query a miss (fresh nonce)',
  );
  console.log(sql);
  console.log(memory);
} finally {
  await deletePrefix(redis, prefix);
  await redis.quit();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
