/**
 * The Larder library as bench/lib/larder.ts loads it, but from a build that
 * child processes share: for the benchmarks that fork workers.
 *
 * bench/lib/larder.ts builds a private copy when LARDER_BENCH_DIST is unset and
 * keeps the directory to itself, so this module builds first (unless run.ts
 * did), hands the directory on through that same variable and only then loads
 * larder.ts: workers forked afterwards inherit the variable and load the same
 * build instead of compiling again. A script that uses this module must not
 * also import ./larder.js statically: that import could be evaluated before
 * the variable is set.
 */
import { rmSync } from 'node:fs';
import { buildLarder } from './build-larder.js';

export type { Cache, MemoryStore } from './larder.js';

const ROOT = new URL('../../', import.meta.url);

if (process.env.LARDER_BENCH_LIBRARY !== 'src' && (process.env.LARDER_BENCH_DIST ?? '') === '') {
  const directory = new URL(`.bench-out/larder-dist-${process.pid}/`, ROOT);
  process.env.LARDER_BENCH_SOURCE = buildLarder(directory);
  process.env.LARDER_BENCH_DIST = directory.pathname;
  // Workers exit before the process that built, which removes the build.
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
}

const larder = await import('./larder.js');

/** Which build the figures come from, for the report header. */
export const larderBuild = larder.larderBuild;
/** `createCache` from `larder`. */
export const createCache = larder.createCache;
/** `memoryStore` from `larder/memory`. */
export const memoryStore = larder.memoryStore;
/** `redisStore` from `larder/redis`. */
export const redisStore = larder.redisStore;
/** `tieredStore` from `larder/tiered`. */
export const tieredStore = larder.tieredStore;
