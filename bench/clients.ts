/**
 * GET-hit throughput and latency of the raw Redis clients (value decoded: GET +
 * JSON.parse + Date revive), at 1 and 50 operations in flight, from one Node
 * process, all contenders interleaved in the same run.
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
import { makeProfile } from './lib/make-profile.js';
import { numericArgs } from './lib/parse-args.js';
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

// Add Larder contenders here (they receive the same fixture and run interleaved).
const contenders: Contender[] = [...rawClientContenders()];

const control = createClient({ url: redisUrl });
await control.connect();
const prefix = `larder-bench:clients:${process.pid}-${randomBytes(4).toString('hex')}:`;
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

  console.log('# Raw Redis clients: GET hit + decode');
  console.log(describeEnvironment(await redisVersion(control)));
  console.log(`server: ${server ? 'private redis-server (persistence off)' : `shared, ${redisUrl}`}`);
  console.log(
    `method: ${contenders.length} contenders x concurrency [1, 50] x ${args.runs} runs of ${args['duration-ms']} ms ` +
      `(+${args['warmup-ms']} ms warm-up each, 4x before the first), interleaved; ${args.keys} keys read round-robin; ` +
      `payload: user profile, ${meanBytes.toFixed(0)} B of JSON on average; decode = JSON.parse + new Date(createdAt)`,
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
  const misses = results.reduce((sum, result) => sum + result.misses, 0);
  if (misses > 0) console.log(`\nWARNING: ${misses} misses: the figures are not pure GET hits.`);
  console.log(`\nraw results: ${writeResults('clients', { args, results })}`);
} finally {
  await deletePrefix(control, prefix);
  await control.close();
  await server?.stop();
}
