/**
 * What data-dependency collection adds to a cached computation's miss: a
 * `getOrSet` whose factory makes 10 cached SQL queries (`cachedPool`, one per
 * table t0…t9, each a miss too), with collection (the default: the factory runs
 * in a dependency scope, each query records its 2 tags and generations, the
 * outer entry is stored with the 11 distinct tags and their counters kept
 * alive) and without (`collectDependencies: false`: the outer entry untagged,
 * as before issue 11). Target: at most 5 % added per computation.
 *
 * Method: one caller in flight (latency, not CPU queueing on 2 shared cores);
 * the two modes alternate round by round in the same process (ABAB…), each
 * round `--duration-ms` of back-to-back computations after `--warmup-ms`;
 * every call uses a fresh nonce in its key and in each query's parameters,
 * so every outer call and every inner query is a miss. Per mode: the median
 * over rounds of each round's median call time, with the range; "added" is
 * the ratio of the two medians, and the per-round paired ratios are shown too.
 *
 *   node --import tsx bench/data-dependencies.ts [--rounds 8] [--duration-ms 1500] [--warmup-ms 200] [--rows 1000]
 *
 * Uses the shared Postgres at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * in a schema of its own, and the shared Redis at REDIS_URL under a unique key
 * prefix; both are removed at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import { cachedPool, createCache, larderBuild, redisStore } from './lib/larder-cached-pool.js';
import { numericArgs } from './lib/parse-args.js';
import { redisVersion } from './lib/redis-version.js';
import { formatMicros, quantile, spread } from './lib/stats.js';

const args = numericArgs({ rounds: 8, 'duration-ms': 1500, 'warmup-ms': 200, rows: 1000 });
const TABLES = 10;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `larder-bench.data-dependencies.${process.pid}-${randomBytes(4).toString('hex')}`;
const schema = `bench_deps_${process.pid}`;

const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
for (let t = 0; t < TABLES; t++)
  await admin.query(
    `CREATE TABLE ${schema}.t${t} (id int PRIMARY KEY, v text NOT NULL);
     INSERT INTO ${schema}.t${t} SELECT i, md5(i::text) FROM generate_series(1, ${args.rows}) i`,
  );
const raw = new pg.Pool({ connectionString: databaseUrl, max: 4, options: `-c search_path=${schema}` });
const store = redisStore({ url: redisUrl });
const cache = createCache({ store, prefix, defaultTtl: '10m' });
const pool = cachedPool(raw, cache);
const redis = createClient({ url: redisUrl }) as RedisClientType;
await redis.connect();

type Mode = 'with collection' | 'without collection';
const MODES: readonly Mode[] = ['with collection', 'without collection'];
let nonce = 0;

/** One cached computation: 10 cached queries, every one a miss. */
async function compute(mode: Mode): Promise<void> {
  const n = ++nonce;
  const id = (n % args.rows) + 1;
  await cache.getOrSet(
    `page:${n}`,
    async () => {
      const parts: unknown[] = [];
      for (let t = 0; t < TABLES; t++) {
        const { rows } = await pool.query(`SELECT id, v FROM t${t} WHERE id = $1 AND $2::int >= 0`, [id, n]);
        parts.push(rows[0]);
      }
      return parts;
    },
    mode === 'with collection' ? undefined : { collectDependencies: false },
  );
}

/** Back-to-back computations for `durationMs`; their times in ms. */
async function round(mode: Mode, durationMs: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const started = performance.now();
    await compute(mode);
    times.push(performance.now() - started);
  }
  return times;
}

try {
  // Learn the pool's session and the catalog, parse each statement once.
  for (const mode of MODES) await round(mode, args['warmup-ms']);
  await cache.idle();
  const medians: Record<Mode, number[]> = { 'with collection': [], 'without collection': [] };
  const counts: Record<Mode, number> = { 'with collection': 0, 'without collection': 0 };
  const ratios: number[] = [];
  for (let r = 0; r < args.rounds; r++) {
    // ABAB… with the order flipped every other round, so neither mode always goes first.
    const order = r % 2 === 0 ? MODES : [...MODES].reverse();
    const roundMedians = new Map<Mode, number>();
    for (const mode of order) {
      const times = (await round(mode, args['duration-ms'])).sort((a, b) => a - b);
      await cache.idle(); // background stores of this round do not spill into the next
      roundMedians.set(mode, quantile(times, 0.5));
      medians[mode].push(quantile(times, 0.5));
      counts[mode] += times.length;
    }
    ratios.push((roundMedians.get('with collection') ?? 0) / (roundMedians.get('without collection') ?? 1));
  }
  const rows = MODES.map((mode) => {
    const s = spread(medians[mode]);
    return [
      mode,
      formatMicros(s.median),
      `${formatMicros(s.min)}–${formatMicros(s.max)}`,
      String(counts[mode]),
    ];
  });
  const withMedian = spread(medians['with collection']).median;
  const withoutMedian = spread(medians['without collection']).median;
  const paired = spread(ratios);
  console.log(
    '# Data-dependency collection: a computation of 10 cached SQL queries, miss path (bench/data-dependencies.ts)',
  );
  console.log(describeEnvironment(await redisVersion(redis)));
  console.log(`pg ${packageVersion('pg')}; library: ${larderBuild}`);
  console.log(
    `method: 1 in flight; ${args.rounds} rounds of ${args['duration-ms']} ms per mode, alternating (order flipped every round), after ${args['warmup-ms']} ms warm-up each;` +
      ` every outer call and inner query a miss (fresh nonce); ${TABLES} tables of ${args.rows} rows; Redis ${redisUrl}, Postgres ${databaseUrl}`,
  );
  console.log(formatTable(['mode', 'call p50 (median of rounds)', 'range of rounds', 'calls'], rows));
  console.log(
    `added by collection: ${((withMedian / withoutMedian - 1) * 100).toFixed(1)} % (medians); per-round paired ratio median ${paired.median.toFixed(3)} (${paired.min.toFixed(3)}–${paired.max.toFixed(3)}); target ≤ 5 %`,
  );
} finally {
  await cache.idle();
  await pool.end();
  await deletePrefix(redis, prefix);
  await redis.quit();
  await cache.close();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
