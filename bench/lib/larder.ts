/**
 * The Larder library as the benchmarks load it: its public entry points
 * (`larder`, `larder/memory`, `larder/redis`), compiled by `tsc` exactly as the
 * package build does, into .bench-out/larder-dist/.
 *
 * Why not import ../../src directly: the scripts run under tsx, whose esbuild
 * transform wraps every named closure in a `__name()` call (a defineProperty per
 * closure created), which the shipped `tsc` output does not do; on Larder's hot
 * path that cost about 7 % of GET throughput at 50 in flight in one A/B on
 * this machine, and the raw clients it is compared with run as plain JS.
 *
 * `bench/run.ts` builds once and passes the directory in LARDER_BENCH_DIST;
 * a script run alone builds for itself. LARDER_BENCH_LIBRARY=src loads the
 * TypeScript sources instead (no build; for quick experiments only).
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type * as LarderEntry from '../../src/index.js';
import type * as MsgpackSerializer from '../../src/serializers/msgpack-serializer.js';
import type * as LarderMemory from '../../src/stores/memory/index.js';
import type * as LarderRedis from '../../src/stores/redis/index.js';
import type * as LarderTiered from '../../src/stores/tiered/index.js';
import { buildLarder } from './build-larder.js';

export type { Cache, CacheOptions } from '../../src/index.js';
export type { Store, StoreAddResult, StoreTtlMs } from '../../src/store/index.js';
export type { MemoryStore } from '../../src/stores/memory/index.js';

const ROOT = new URL('../../', import.meta.url);

/** Where the compiled library lives (building it unless run.ts did) and what it was built from. */
function library(): { readonly directory: URL | undefined; readonly version: string } {
  if (process.env.LARDER_BENCH_LIBRARY === 'src')
    return { directory: undefined, version: 'the working tree' };
  const given = process.env.LARDER_BENCH_DIST;
  if (given !== undefined && given !== '') {
    return {
      directory: pathToFileURL(given.endsWith('/') ? given : `${given}/`),
      version: process.env.LARDER_BENCH_SOURCE ?? 'unknown commit',
    };
  }
  const directory = new URL(`.bench-out/larder-dist-${process.pid}/`, ROOT);
  const version = buildLarder(directory);
  // A private build is removed when the script ends; run.ts removes its own.
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  return { directory, version };
}

const { directory, version } = library();

/** Which build the figures come from, for the report header. */
export const larderBuild = `${
  directory === undefined ? 'TypeScript sources under tsx (not the shipped build)' : 'tsc build of src/'
} at ${version}`;

async function load<T>(compiled: string, source: string): Promise<T> {
  return (await import(directory === undefined ? source : new URL(compiled, directory).href)) as T;
}

const entry = await load<typeof LarderEntry>('index.js', '../../src/index.js');
const msgpack = await load<typeof MsgpackSerializer>(
  'serializers/msgpack-serializer.js',
  '../../src/serializers/msgpack-serializer.js',
);
const memory = await load<typeof LarderMemory>('stores/memory/index.js', '../../src/stores/memory/index.js');
const redis = await load<typeof LarderRedis>('stores/redis/index.js', '../../src/stores/redis/index.js');
const tiered = await load<typeof LarderTiered>('stores/tiered/index.js', '../../src/stores/tiered/index.js');

/** `createCache` from `larder`. */
export const createCache = entry.createCache;
/** `buildDictionary` from `larder`. */
export const buildDictionary = entry.buildDictionary;
/**
 * The default serializer, for building other dictionaries: internal (`larder`
 * exports no serializer object), so it is loaded from its module in the build.
 */
export const msgpackSerializer = msgpack.msgpackSerializer;
/** `memoryStore` from `larder/memory`. */
export const memoryStore = memory.memoryStore;
/** `redisStore` from `larder/redis`. */
export const redisStore = redis.redisStore;
/** `tieredStore` from `larder/tiered`. */
export const tieredStore = tiered.tieredStore;
