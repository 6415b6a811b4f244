/**
 * `larder/sql` (`cachedPool`) and its analyzer, loaded from the same build as the
 * rest of the library (see ./larder-shared.ts, which builds it unless run.ts did).
 * The analyzer (`analyzeSql`, `SqlAnalyzer`, `loadSqlParser`) is internal, not part
 * of `larder/sql`'s exports: it is loaded from its own modules in the build.
 */
import { pathToFileURL } from 'node:url';
import type * as AnalyzeSql from '../../src/sql/analyzer/analyze-sql.js';
import type * as LoadSqlParser from '../../src/sql/analyzer/load-sql-parser.js';
import type * as SqlAnalyzerModule from '../../src/sql/analyzer/sql-analyzer.js';
import type * as LarderSql from '../../src/sql/index.js';
import { larderBuild } from './larder-shared.js';

export type { SqlAnalysis } from '../../src/sql/analyzer/sql-analysis.js';
export type { CachedPool, CachedSqlOptions, SqlStats } from '../../src/sql/index.js';
export { larderBuild };

const given = process.env.LARDER_BENCH_DIST;

/** A module of `src/sql/`, from the build (or the sources with LARDER_BENCH_LIBRARY=src). */
async function load<T>(name: string): Promise<T> {
  return (await import(
    process.env.LARDER_BENCH_LIBRARY === 'src' || given === undefined || given === ''
      ? `../../src/sql/${name}.js`
      : new URL(`sql/${name}.js`, pathToFileURL(given.endsWith('/') ? given : `${given}/`)).href
  )) as T;
}

const sql = await load<typeof LarderSql>('index');
const analyze = await load<typeof AnalyzeSql>('analyzer/analyze-sql');
const parser = await load<typeof LoadSqlParser>('analyzer/load-sql-parser');
const analyzer = await load<typeof SqlAnalyzerModule>('analyzer/sql-analyzer');

/** `analyzeSql` (src/sql/analyze-sql.ts). */
export const analyzeSql = analyze.analyzeSql;
/** `loadSqlParser` (src/sql/load-sql-parser.ts). */
export const loadSqlParser = parser.loadSqlParser;
/** `SqlAnalyzer` (src/sql/sql-analyzer.ts). */
export const SqlAnalyzer = analyzer.SqlAnalyzer;
/** `cachedPool` from `larder/sql`. */
export const cachedPool = sql.cachedPool;
