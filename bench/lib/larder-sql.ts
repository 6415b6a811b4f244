/**
 * `larder/sql` (the analyzer and `cachedPool`), loaded from the same build as the rest of
 * the library (see ./larder-shared.ts, which builds it unless run.ts did).
 */
import { pathToFileURL } from 'node:url';
import type * as LarderSql from '../../src/sql/index.js';
import { larderBuild } from './larder-shared.js';

export type { CachedPool, CachedSqlOptions, SqlAnalysis, SqlStats } from '../../src/sql/index.js';
export { larderBuild };

const given = process.env.LARDER_BENCH_DIST;
const sql = (await import(
  process.env.LARDER_BENCH_LIBRARY === 'src' || given === undefined || given === ''
    ? '../../src/sql/index.js'
    : new URL('sql/index.js', pathToFileURL(given.endsWith('/') ? given : `${given}/`)).href
)) as typeof LarderSql;

/** `analyzeSql` from `larder/sql`. */
export const analyzeSql = sql.analyzeSql;
/** `loadSqlParser` from `larder/sql`. */
export const loadSqlParser = sql.loadSqlParser;
/** `SqlAnalyzer` from `larder/sql`. */
export const SqlAnalyzer = sql.SqlAnalyzer;
/** `cachedPool` from `larder/sql`. */
export const cachedPool = sql.cachedPool;
