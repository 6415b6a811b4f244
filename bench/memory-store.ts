/**
 * Memory store throughput through the async cache API, on one Node thread:
 * `await cache.get(key)` hits, `await cache.getOrSet(key, factory)` hits and
 * `await cache.set(key, profile)`, against the floor of `await map.get(key)` on
 * a plain Map of the same values, all interleaved in the same run. Once with a
 * hot set of keys (1,000 by default) and once with 100,000 distinct keys.
 *
 *   node --import tsx bench/memory-store.ts [--runs 7] [--duration-ms 500] [--hot-keys 1000] [--many-keys 100000]
 */
import { deepStrictEqual } from 'node:assert/strict';
import { describeEnvironment } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import { type Cache, createCache, larderBuild, type MemoryStore, memoryStore } from './lib/larder.js';
import { makeProfile, type UserProfile } from './lib/make-profile.js';
import { numericArgs } from './lib/parse-args.js';
import { type LoopOperation, type LoopResult, runLoop, summarizeLoop } from './lib/run-loop.js';
import type { Spread } from './lib/stats.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({
  runs: 7,
  'duration-ms': 500,
  'warmup-ms': 150,
  'hot-keys': 1000,
  'many-keys': 100_000,
});
const GET_TARGET_OPS = 3_000_000;

/** One key set: the values, a cache holding them, and a Map holding them. */
interface KeySet {
  readonly label: string;
  readonly keys: readonly string[];
  readonly profiles: readonly UserProfile[];
  /** Read by the hit configurations. */
  readonly cache: Cache;
  readonly store: MemoryStore;
  /**
   * Written by the set configuration: a set replaces the stored buffer, and the
   * next read of that entry decodes it again, so writes to `cache` would turn
   * the following hit runs into partly decoding runs.
   */
  readonly writeCache: Cache;
  readonly map: Map<string, UserProfile>;
}

async function keySet(label: string, count: number): Promise<KeySet> {
  const profiles = Array.from({ length: count }, (_, i) => makeProfile(i));
  const keys = profiles.map((profile) => `user:${profile.id}`);
  // The default store bounds (100,000 entries, 64 MiB) hold every key set used here.
  const store = memoryStore();
  const cache = createCache({ store, prefix: 'bench' });
  for (const [i, key] of keys.entries()) await cache.set(key, profiles[i]);
  if (store.size !== count) throw new Error(`${label}: the store holds ${store.size} of ${count} entries`);
  // Read every entry once, so hit runs measure the steady state (decoded values reused).
  for (const [i, key] of keys.entries()) {
    const value = await cache.get(key);
    if (i < 100) deepStrictEqual(value, profiles[i]);
    else if (value === undefined) throw new Error(`${label}: ${key} is missing`);
  }
  const writeCache = createCache({ store: memoryStore(), prefix: 'bench' });
  const map = new Map(keys.map((key, i) => [key, profiles[i] as UserProfile]));
  return { label, keys, profiles, cache, store, writeCache, map };
}

interface Config {
  readonly name: string;
  readonly set: KeySet;
  readonly op: LoopOperation;
  readonly isWrite: boolean;
  readonly isFloor: boolean;
}

let factoryCalls = 0;
// Evaluated only on a miss, which a hit benchmark must never see.
const factory = () => {
  factoryCalls++;
  return { missed: true };
};

function configs(set: KeySet): Config[] {
  const { keys, profiles, cache, writeCache, map } = set;
  const n = keys.length;
  return [
    {
      name: 'floor: await map.get(key)',
      set,
      op: (i) => map.get(keys[i % n] as string),
      isWrite: false,
      isFloor: true,
    },
    {
      name: 'await cache.get(key)',
      set,
      op: (i) => cache.get(keys[i % n] as string),
      isWrite: false,
      isFloor: false,
    },
    {
      name: 'await cache.getOrSet(key, fn), hit',
      set,
      op: (i) => cache.getOrSet(keys[i % n] as string, factory),
      isWrite: false,
      isFloor: false,
    },
    {
      name: 'await cache.set(key, profile)',
      set,
      op: (i) => writeCache.set(keys[i % n] as string, profiles[i % n]),
      isWrite: true,
      isFloor: false,
    },
  ];
}

const formatMega = (value: number) => `${(value / 1e6).toFixed(2)} M`;
const formatMegaSpread = (value: Spread) =>
  `${formatMega(value.median)} (${(value.min / 1e6).toFixed(2)}–${(value.max / 1e6).toFixed(2)} M)`;

const startedAt = Date.now();
const sets = [await keySet('hot', args['hot-keys']), await keySet('many', args['many-keys'])];
const all = sets.flatMap(configs);

console.log('# Memory store: hits and sets through the async cache API');
console.log(describeEnvironment('(not used)'));
console.log(`library: ${larderBuild}`);
console.log(
  `method: one Node thread, one operation at a time (await in a loop, clock read every 10,000 operations, ` +
    `then a setImmediate yield); ${all.length} configurations x ${args.runs} runs of ${args['duration-ms']} ms ` +
    `(+${args['warmup-ms']} ms warm-up each, 4x before the first), interleaved, order rotated each round; ` +
    `cache = createCache({ store: memoryStore(), prefix: 'bench' }) (defaults: msgpack, 100,000 entries, 64 MiB); ` +
    `keys "user:<id>", read round-robin; values: the user profile (with a Date); ` +
    `floor = a Map of the same objects under the same keys; every entry was read once before the runs; ` +
    `sets go to a second cache of the same configuration (a set replaces the stored buffer, so the next ` +
    `read of it decodes again).`,
);

const runs = new Map<Config, LoopResult[]>(all.map((config) => [config, []]));
for (let round = 0; round < args.runs; round++) {
  const order = [...all.slice(round % all.length), ...all.slice(0, round % all.length)];
  for (const config of order) {
    const result = await runLoop({
      op: config.op,
      durationMs: args['duration-ms'],
      warmupMs: round === 0 ? 4 * args['warmup-ms'] : args['warmup-ms'],
      countMisses: !config.isWrite,
    });
    runs.get(config)?.push(result);
    console.error(
      `  ${config.set.label} ${config.name}: ${formatMega(result.opsPerSec)} ops/s${result.misses ? `, ${result.misses} MISSES` : ''}`,
    );
  }
}

const summaries = all.map((config) => ({
  config,
  summary: summarizeLoop(config.name, runs.get(config) ?? []),
}));
const floorOf = (set: KeySet) =>
  summaries.find(({ config }) => config.set === set && config.isFloor)?.summary.opsPerSec.median ??
  Number.NaN;
console.log();
console.log(
  formatTable(
    ['operation', 'keys', 'ops/s median (min–max)', 'ns/op', 'vs floor', 'CPU', 'runs'],
    summaries.map(({ config, summary }) => [
      config.name,
      config.set.keys.length.toLocaleString('en-US'),
      formatMegaSpread(summary.opsPerSec),
      (1e9 / summary.opsPerSec.median).toFixed(0),
      config.isFloor ? '1.00x' : `${(summary.opsPerSec.median / floorOf(config.set)).toFixed(2)}x`,
      `${summary.cpuShare.toFixed(2)} cores`,
      String(summary.runs.length),
    ]),
  ),
);

const hotGet = summaries.find(
  ({ config }) => config.set === sets[0] && config.name.startsWith('await cache.get'),
);
const get = hotGet?.summary.opsPerSec ?? { median: Number.NaN, min: Number.NaN, max: Number.NaN };
console.log(
  `\ntarget: cache.get hit ≥ ${formatMega(GET_TARGET_OPS)} ops/s on one core (${args['hot-keys']} hot keys): ` +
    `median ${formatMega(get.median)} (runs ${(get.min / 1e6).toFixed(2)}–${(get.max / 1e6).toFixed(2)} M) → ` +
    `${get.median >= GET_TARGET_OPS ? 'pass' : 'FAIL'}`,
);
console.log(
  'note: the memory store hands back the very buffer it stored, and the cache decodes each entry once and ' +
    'returns the same deep-frozen value to every later reader (docs/serialization.md), so a hit does no ' +
    'deserialization and the serializer does not matter here; a set serializes (msgpack) every time. ' +
    '"CPU" is process CPU time over wall time: above 1.00 is V8 GC helper threads on the second vCPU.',
);
const misses = summaries.reduce((sum, { summary }) => sum + summary.misses, 0);
if (misses > 0 || factoryCalls > 0)
  console.log(`WARNING: ${misses} misses and ${factoryCalls} factory calls: not pure hits.`);
for (const set of sets) {
  await set.cache.close();
  await set.writeCache.close();
}
console.log(
  `total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; raw results: ${writeResults('memory-store', {
    args,
    results: summaries.map(({ config, summary }) => ({ keys: config.set.keys.length, ...summary })),
  })}`,
);
