/**
 * `cachedPool` from `larder/sql`, with `createCache` and `redisStore`, all from
 * the same build of the library (./larder-shared.ts builds it unless run.ts
 * did; ./larder-sql.ts loads the analyzer from that build the same way).
 */
import { pathToFileURL } from 'node:url';
import type * as LarderSql from '../../src/sql/index.js';
import { createCache, larderBuild, redisStore } from './larder-shared.js';

export type { CachedPool, CachedSqlOptions, SqlStats } from '../../src/sql/index.js';
export type { Cache } from './larder-shared.js';
export { createCache, larderBuild, redisStore };

const given = process.env.LARDER_BENCH_DIST;
const sql = (await import(
  process.env.LARDER_BENCH_LIBRARY === 'src' || given === undefined || given === ''
    ? '../../src/sql/index.js'
    : new URL('sql/index.js', pathToFileURL(given.endsWith('/') ? given : `${given}/`)).href
)) as typeof LarderSql;

/** `cachedPool` from `larder/sql`. */
export const cachedPool = sql.cachedPool;
