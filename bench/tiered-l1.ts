/**
 * Tiered cache, L1 hit, through each library's async API on one Node thread:
 * `await cache.get(key)` one call after another, for Larder's tiered store (L1
 * memory in front of Redis), Larder's memory store, bentocache (memory L1 +
 * Redis L2 + Redis bus) and cacheable (memory + @keyv/redis), against the
 * ceiling of `await map.get(key)`, all interleaved in the same run. Throughput
 * comes from batch-timed loops; per-call latency from a separate pass that
 * reads `process.hrtime.bigint()` around every call, minus the cost of the
 * clock reading itself.
 *
 *   node --import tsx bench/tiered-l1.ts [--runs 7] [--duration-ms 500] [--warmup-ms 150] [--keys 1000] [--samples 20000]
 *
 * Uses the shared Redis at REDIS_URL (default redis://127.0.0.1:6379) under a
 * unique prefix `larder-bench.tiered-l1.<pid>-<random>.`, deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import { createCache, larderBuild, memoryStore, redisStore, tieredStore } from './lib/larder-tiered.js';
import { makeProfile, type UserProfile } from './lib/make-profile.js';
import { type CallLatency, measureCallLatency } from './lib/measure-call-latency.js';
import { numericArgs } from './lib/parse-args.js';
import { bentoTiered, cacheableTiered } from './lib/peer-caches.js';
import { redisVersion } from './lib/redis-version.js';
import { type LoopOperation, type LoopResult, runLoop, summarizeLoop } from './lib/run-loop.js';
import { type Spread, spread } from './lib/stats.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({ runs: 7, 'duration-ms': 500, 'warmup-ms': 150, keys: 1000, samples: 20_000 });
const TARGET_OPS = 3_000_000;
const TARGET_P50_NS = 300;
const SUBJECT = 'Larder tiered (L1 hit)';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `larder-bench.tiered-l1.${process.pid}-${randomBytes(4).toString('hex')}.`;

/** One library under test, ready to read `keys`. */
interface Contender {
  readonly name: string;
  readonly op: LoopOperation;
}

/** Write every profile through the contender's own `set`, then read each once (L1 filled, decoded). */
async function fill(
  name: string,
  keys: readonly string[],
  profiles: readonly UserProfile[],
  set: (key: string, value: UserProfile) => Promise<unknown>,
  get: (key: string) => unknown,
): Promise<void> {
  for (const [i, key] of keys.entries()) await set(key, profiles[i] as UserProfile);
  for (const [i, key] of keys.entries()) {
    const value = (await get(key)) as UserProfile | undefined;
    // bentocache's L1 keeps JSON text, so a Date comes back as a string: compare ids.
    if (value?.id !== profiles[i]?.id) throw new Error(`${name}: ${key} read back ${JSON.stringify(value)}`);
  }
}

/** Everything opened so far, closed at the end even when a setup step fails. */
const closers: Array<() => Promise<unknown>> = [];

async function contenders(keys: readonly string[], profiles: readonly UserProfile[]): Promise<Contender[]> {
  const n = keys.length;
  const key = (i: number) => keys[i % n] as string;
  const ttl = '10m';
  const map = new Map(keys.map((k, i) => [k, profiles[i] as UserProfile]));

  const memory = createCache({ store: memoryStore(), prefix: `${prefix}larder-memory` });
  closers.push(() => memory.close());
  await fill(
    'Larder memory',
    keys,
    profiles,
    (k, v) => memory.set(k, v, { ttl }),
    (k) => memory.get(k),
  );

  const l2 = redisStore({ url: redisUrl });
  await l2.ready();
  const tiered = createCache({
    // A channel of the run's own: other processes on the shared Redis must not drop this L1.
    store: tieredStore({ l2, channel: `${prefix}tiered` }),
    prefix: `${prefix}larder-tiered`,
  });
  closers.push(() => tiered.close());
  await fill(
    SUBJECT,
    keys,
    profiles,
    (k, v) => tiered.set(k, v, { ttl }),
    (k) => tiered.get(k),
  );

  const bento = bentoTiered({ redisUrl, prefix: `${prefix}bento:`, serializeL1: true, maxItems: 2 * n });
  closers.push(() => bento.disconnectAll());
  await fill(
    'bentocache',
    keys,
    profiles,
    (k, v) => bento.set({ key: k, value: v, ttl }),
    (k) => bento.get({ key: k }),
  );
  const bentoRaw = bentoTiered({
    redisUrl,
    prefix: `${prefix}bento-raw:`,
    serializeL1: false,
    maxItems: 2 * n,
  });
  closers.push(() => bentoRaw.disconnectAll());
  await fill(
    'bentocache serialize: false',
    keys,
    profiles,
    (k, v) => bentoRaw.set({ key: k, value: v, ttl }),
    (k) => bentoRaw.get({ key: k }),
  );

  const cacheable = cacheableTiered(redisUrl, `${prefix}cacheable`);
  closers.push(() => cacheable.disconnect());
  await fill(
    'cacheable',
    keys,
    profiles,
    (k, v) => cacheable.set(k, v, ttl),
    (k) => cacheable.get(k),
  );

  return [
    { name: 'ceiling: await map.get(key)', op: (i) => map.get(key(i)) },
    { name: 'Larder memory store', op: (i) => memory.get(key(i)) },
    { name: SUBJECT, op: (i) => tiered.get(key(i)) },
    { name: 'bentocache (L1 memory + L2 redis + bus)', op: (i) => bento.get({ key: key(i) }) },
    { name: 'bentocache, L1 serialize: false', op: (i) => bentoRaw.get({ key: key(i) }) },
    { name: 'cacheable (memory + @keyv/redis)', op: (i) => cacheable.get(key(i)) },
  ];
}

const formatMega = (value: number) => `${(value / 1e6).toFixed(2)} M`;
const formatMegaSpread = (value: Spread) =>
  `${formatMega(value.median)} (${(value.min / 1e6).toFixed(2)}–${(value.max / 1e6).toFixed(2)} M)`;
const formatNsSpread = (value: Spread) =>
  `${value.median.toFixed(0)} (${value.min.toFixed(0)}–${value.max.toFixed(0)})`;

const startedAt = Date.now();
const control = createClient({ url: redisUrl }) as RedisClientType;
await control.connect();
try {
  const profiles = Array.from({ length: args.keys }, (_, i) => makeProfile(i));
  const keys = profiles.map((profile) => `user:${profile.id}`);
  const all = await contenders(keys, profiles);

  console.log('# Tiered caches: L1 hit through the async API');
  console.log(describeEnvironment(await redisVersion(control)));
  console.log(
    `peers: bentocache ${packageVersion('bentocache')} (ioredis ${packageVersion('ioredis')}), cacheable ${packageVersion(
      'cacheable',
    )} (keyv ${packageVersion('keyv')}, @keyv/redis ${packageVersion('@keyv/redis')})`,
  );
  console.log(`library: ${larderBuild}`);
  console.log(
    `method: one Node thread, concurrency 1 (await in a loop); ${all.length} contenders x ${args.runs} rounds, ` +
      `interleaved, order rotated each round; per round and contender: a throughput run of ${args['duration-ms']} ms ` +
      `(+${args['warmup-ms']} ms warm-up, 4x before the first; clock read every 10,000 calls, then a setImmediate ` +
      `yield), then a latency pass of ${args.samples} calls each timed with process.hrtime.bigint(), from which the ` +
      `median cost of an empty pair of clock readings, measured just before, is subtracted; ` +
      `${args.keys} keys "user:<id>" read round-robin, each written once with the library's own set (TTL 10 min) ` +
      `and read once before the runs, so every measured call is an L1 hit; values: the user profile (with a Date); ` +
      `shared Redis ${redisUrl} (only the fill and the buses touch it); ns/op = 1e9 / median ops/s; ` +
      `p50/p99 = median over rounds of each pass's percentile, net of the clock cost.`,
  );
  console.log(
    'configuration: Larder createCache({ store, prefix }) with defaults (msgpack), store memoryStore() or ' +
      'tieredStore({ l2: redisStore({ url }), channel: <unique to the run> }); bentocache bentostore().useL1Layer(memoryDriver({ maxItems: 2000 })) ' +
      '.useL2Layer(redisDriver).useBus(redisBusDriver), L1 serialize true (its default: JSON text in L1, parsed per ' +
      'hit) and false; cacheable new Cacheable({ secondary: new Keyv({ store: new KeyvRedis(url) }) }) (primary: its ' +
      'default in-memory Keyv).',
  );

  const throughput = new Map<Contender, LoopResult[]>(all.map((contender) => [contender, []]));
  const latency = new Map<Contender, CallLatency[]>(all.map((contender) => [contender, []]));
  for (let round = 0; round < args.runs; round++) {
    const order = [...all.slice(round % all.length), ...all.slice(0, round % all.length)];
    for (const contender of order) {
      const result = await runLoop({
        op: contender.op,
        durationMs: args['duration-ms'],
        warmupMs: round === 0 ? 4 * args['warmup-ms'] : args['warmup-ms'],
      });
      throughput.get(contender)?.push(result);
      const calls = await measureCallLatency(contender.op, args.samples);
      latency.get(contender)?.push(calls);
      console.error(
        `  ${contender.name}: ${formatMega(result.opsPerSec)} ops/s, p50 ${calls.p50Ns.toFixed(0)} ns, ` +
          `p99 ${calls.p99Ns.toFixed(0)} ns (clock ${calls.clockNs.toFixed(0)} ns)${result.misses + calls.misses ? `, ${result.misses + calls.misses} MISSES` : ''}`,
      );
    }
  }

  const summaries = all.map((contender) => {
    const calls = latency.get(contender) ?? [];
    return {
      contender,
      loop: summarizeLoop(contender.name, throughput.get(contender) ?? []),
      p50Ns: spread(calls.map((call) => call.p50Ns)),
      p99Ns: spread(calls.map((call) => call.p99Ns)),
      clockNs: spread(calls.map((call) => call.clockNs)).median,
      misses: calls.reduce((sum, call) => sum + call.misses, 0),
    };
  });
  const ceiling = summaries[0]?.loop.opsPerSec.median ?? Number.NaN;
  console.log();
  console.log(
    formatTable(
      [
        'contender',
        'ops/s median (min–max)',
        'ns/op',
        'vs ceiling',
        'p50 ns (min–max)',
        'p99 ns',
        'CPU',
        'runs',
      ],
      summaries.map(({ contender, loop, p50Ns, p99Ns }) => [
        contender.name,
        formatMegaSpread(loop.opsPerSec),
        (1e9 / loop.opsPerSec.median).toFixed(0),
        `${(loop.opsPerSec.median / ceiling).toFixed(2)}x`,
        formatNsSpread(p50Ns),
        p99Ns.median.toFixed(0),
        `${loop.cpuShare.toFixed(2)} cores`,
        String(loop.runs.length),
      ]),
    ),
  );
  const subject = summaries.find(({ contender }) => contender.name === SUBJECT);
  const ops = subject?.loop.opsPerSec ?? { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const p50 = subject?.p50Ns ?? { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  console.log(
    `\nclock: an empty pair of process.hrtime.bigint() readings cost ${subject?.clockNs.toFixed(0)} ns (median), ` +
      'subtracted from every per-call figure above.',
  );
  console.log(
    `target: ${SUBJECT} ≥ ${formatMega(TARGET_OPS)} ops/s: median ${formatMegaSpread(ops)} → ` +
      `${ops.median >= TARGET_OPS ? 'pass' : 'FAIL'}; per-call median ≤ ${TARGET_P50_NS} ns: ` +
      `${formatNsSpread(p50)} ns → ${p50.median <= TARGET_P50_NS ? 'pass' : 'FAIL'}`,
  );
  for (const { contender, loop, p50Ns } of summaries.slice(1)) {
    if (contender.name === SUBJECT || subject === undefined) continue;
    console.log(
      `  ${SUBJECT} vs ${contender.name}: ${(subject.loop.opsPerSec.median / loop.opsPerSec.median).toFixed(2)}x ` +
        `the throughput, ${(subject.p50Ns.median / p50Ns.median).toFixed(2)}x the per-call median`,
    );
  }
  const misses = summaries.reduce((sum, summary) => sum + summary.loop.misses + summary.misses, 0);
  if (misses > 0) console.log(`WARNING: ${misses} misses: not pure L1 hits.`);
  console.log(
    `total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; raw results: ${writeResults('tiered-l1', {
      args,
      results: summaries.map(({ loop, p50Ns, p99Ns, clockNs }) => ({
        ...loop,
        p50Ns,
        p99Ns,
        clockNs,
      })),
    })}`,
  );
} finally {
  for (const close of closers) await close();
  await deletePrefix(control, prefix);
  await control.close();
}
