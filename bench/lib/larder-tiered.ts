/**
 * `tieredStore` from `larder/tiered`, loaded from the same build as the rest of
 * the library (see ./larder-shared.ts, whose exports this module repeats so a
 * script imports Larder from one place).
 */
import { pathToFileURL } from 'node:url';
import type * as LarderTiered from '../../src/stores/tiered/index.js';
import { createCache, larderBuild, memoryStore, redisStore } from './larder-shared.js';

export type { Cache, MemoryStore } from './larder-shared.js';
export { createCache, larderBuild, memoryStore, redisStore };

const given = process.env.LARDER_BENCH_DIST;
const tiered = (await import(
  process.env.LARDER_BENCH_LIBRARY === 'src' || given === undefined || given === ''
    ? '../../src/stores/tiered/index.js'
    : new URL('stores/tiered/index.js', pathToFileURL(given.endsWith('/') ? given : `${given}/`)).href
)) as typeof LarderTiered;

/** `tieredStore` from `larder/tiered`. */
export const tieredStore = tiered.tieredStore;
