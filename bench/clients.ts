/**
 * GET-hit throughput and latency, value decoded, at 1 and 50 operations in
 * flight from one Node process: the raw Redis clients (GET + JSON.parse + Date
 * revive) and Larder (`await cache.get(key)` through `createCache` +
 * `redisStore`), all interleaved in the same run. Each Larder contender is judged
 * against the fastest raw client configuration of that run.
 *
 *   node --import tsx bench/clients.ts [--runs 5] [--duration-ms 1200] [--keys 10000]
 *
 * Uses the shared Redis at REDIS_URL (default redis://127.0.0.1:6379) under a
 * unique key prefix, deleted at the end; `--private-server 1` starts a
 * redis-server of its own instead, so other tenants' traffic stays out of the
 * figures.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { compareContenders, formatComparison } from './lib/compare-contenders.js';
import type { Contender, Fixture } from './lib/contender.js';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment } from './lib/describe-environment.js';
import { rawJsonCodec } from './lib/json-codecs.js';
import { larderBuild } from './lib/larder.js';
import { larderContender } from './lib/larder-contender.js';
import { makeProfile } from './lib/make-profile.js';
import { numericArgs } from './lib/parse-args.js';
import { checkRatioTargets, formatRatioTargets } from './lib/ratio-targets.js';
import { rawClientContenders } from './lib/raw-client-contenders.js';
import { redisVersion } from './lib/redis-version.js';
import { startRedisServer } from './lib/start-redis-server.js';
import { formatMicros } from './lib/stats.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({
  runs: 5,
  'duration-ms': 1200,
  'warmup-ms': 300,
  keys: 10_000,
  'private-server': 0,
});
const server = args['private-server'] ? await startRedisServer() : undefined;
const redisUrl = server?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const larder = [
  larderContender({
    name: 'Larder, default (msgpack)',
    prefixSuffix: 'larder-msgpack',
    cacheOptions: { serializer: 'msgpack' },
  }),
  larderContender({
    name: 'Larder, serializer json',
    prefixSuffix: 'larder-json',
    cacheOptions: { serializer: 'json' },
  }),
];
const contenders: Contender[] = [...rawClientContenders(), ...larder];
// Larder must keep up with whichever of these is fastest at each concurrency.
const RAW_BASELINES = ['node-redis 6, timeout off', 'ioredis plain', 'ioredis auto-pipelined'];
const TARGETS = new Map([
  [1, 0.95],
  [50, 0.9],
]);

const control = createClient({ url: redisUrl });
await control.connect();
const prefix = `larder-bench.clients.${process.pid}-${randomBytes(4).toString('hex')}.`;
try {
  const profiles = Array.from({ length: args.keys }, (_, i) => makeProfile(i));
  const rawJsonKeys = profiles.map((profile) => `${prefix}raw:user:${profile.id}`);
  // A TTL as a safety net: a crashed run leaves nothing behind for long.
  for (let start = 0; start < profiles.length; start += 1000) {
    await Promise.all(
      profiles.slice(start, start + 1000).map((profile, i) =>
        control.set(rawJsonKeys[start + i] as string, rawJsonCodec.encode(profile), {
          expiration: { type: 'PX', value: 600_000 },
        }),
      ),
    );
  }
  const fixture: Fixture = { redisUrl, prefix, profiles, rawJsonKeys };
  const meanBytes =
    profiles.reduce((sum, p) => sum + Buffer.byteLength(rawJsonCodec.encode(p)), 0) / profiles.length;

  console.log('# Raw Redis clients and Larder: GET hit + decode');
  console.log(describeEnvironment(await redisVersion(control)));
  console.log(`library: ${larderBuild}`);
  console.log(`server: ${server ? 'private redis-server (persistence off)' : `shared, ${redisUrl}`}`);
  console.log(
    `method: ${contenders.length} contenders x concurrency [1, 50] x ${args.runs} runs of ${args['duration-ms']} ms ` +
      `(+${args['warmup-ms']} ms warm-up each, 4x before the first), interleaved; ${args.keys} keys read round-robin; ` +
      `payload: user profile, ${meanBytes.toFixed(0)} B of JSON on average; raw decode = JSON.parse + new Date(createdAt); ` +
      `Larder = await cache.get(key) on entries the same cache wrote (createCache + redisStore, ` +
      `prefix under the run's prefix, defaults unless named)`,
  );
  const results = await compareContenders({
    contenders,
    fixture,
    concurrencies: [1, 50],
    runs: args.runs,
    durationMs: args['duration-ms'],
    warmupMs: args['warmup-ms'],
    onRun: (name, concurrency, run) =>
      console.error(
        `  ${name} @${concurrency}: ${(run.opsPerSec / 1000).toFixed(1)} k ops/s, p50 ${formatMicros(run.p50Ms)}, p99 ${formatMicros(run.p99Ms)}${run.misses ? `, ${run.misses} MISSES` : ''}`,
      ),
  });
  console.log();
  console.log(formatComparison(results));
  const targets = checkRatioTargets({
    results,
    baselines: RAW_BASELINES,
    subjects: larder.map((contender) => contender.name),
    targets: TARGETS,
  });
  console.log(
    `\nLarder against the fastest raw client configuration of the same run (${RAW_BASELINES.join(' / ')}); ` +
      `"per round" = each round's Larder run over the same raw client's run in that round:\n`,
  );
  console.log(formatRatioTargets(targets));
  const misses = results.reduce((sum, result) => sum + result.misses, 0);
  if (misses > 0) console.log(`\nWARNING: ${misses} misses: the figures are not pure GET hits.`);
  for (const contender of larder) {
    if (contender.counters.errors > 0)
      console.log(
        `WARNING: ${contender.name}: ${contender.counters.errors} error events (first: ${contender.counters.firstError})`,
      );
  }
  console.log(`\nraw results: ${writeResults('clients', { args, results, targets })}`);
} finally {
  await deletePrefix(control, prefix);
  await control.close();
  await server?.stop();
}
