/**
 * `analyzeSql`: one SQL text → what the cache needs to know about it, from the
 * real Postgres grammar (libpg-query). Never throws for bad SQL: a text that
 * does not parse is a `parse-error` bypass, so the wrapper passes it through
 * and Postgres reports the error in its own words.
 */
import { optionChecks } from '../../core/option-checks.js';
import { analyzeStatement } from './analyze-statement.js';
import { sqlParser } from './load-sql-parser.js';
import type { BypassReason, RelationRef, SqlAnalysis, StatementAnalysis } from './sql-analysis.js';
import { fingerprintSql } from './sql-fingerprint.js';
import type { Tree } from './sql-walker.js';
import { addRelation } from './sql-walker.js';

/** Options of `analyzeSql`. */
export interface AnalyzeSqlOptions {
  /**
   * Functions to treat as safe in a cached read, as Postgres stores their names
   * (unquoted → lower case): `slugify` allows `slugify(…)` and `app.slugify(…)`,
   * `app.slugify` only the qualified call. An allowed name is never a bypass
   * reason, even a built-in the analyzer lists as volatile. Only allow functions
   * whose result depends on their arguments alone: a function that reads
   * tables hides those tables from the cache's invalidation.
   * @default none
   */
  readonly allowFunctions?: Iterable<string>;
}

/** The fingerprint of a text that does not parse: its literals cannot be told apart. */
export const PARSE_ERROR_FINGERPRINT = '<parse error>';

/**
 * Parse and classify one SQL text (one or more statements), uncached; the
 * wrapper uses `SqlAnalyzer`, which caches by text. Needs `loadSqlParser()`
 * to have resolved.
 *
 * @example
 * await loadSqlParser();
 * analyzeSql('SELECT * FROM products WHERE id = $1').reads; // [{ schema: undefined, name: 'products' }]
 */
export function analyzeSql(text: string, options?: AnalyzeSqlOptions): SqlAnalysis {
  return analyzeWithAllowList(text, allowList(options?.allowFunctions, 'allowFunctions'));
}

const check = optionChecks('larder/sql');

/** Validate an allow list of function names into a set (`undefined` when empty). */
export function allowList(
  names: Iterable<string> | undefined,
  option: string,
): ReadonlySet<string> | undefined {
  if (names === undefined) return undefined;
  if (
    typeof names === 'string' ||
    typeof (names as Partial<Iterable<string>>)[Symbol.iterator] !== 'function'
  )
    throw check.invalid(option, 'an iterable of function names', names);
  const set = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || name === '')
      throw check.invalid(`${option}[]`, 'a non-empty function name', name);
    set.add(name);
  }
  return set.size === 0 ? undefined : set;
}

/** `analyzeSql` with a validated allow list; `parseMs` is measured. */
export function analyzeWithAllowList(text: string, allow: ReadonlySet<string> | undefined): SqlAnalysis {
  if (typeof text !== 'string') throw check.invalid('text', 'a string of SQL', text);
  const parser = sqlParser();
  const startedMs = performance.now();
  // The C parser would stop at a NUL and analyze only the text before it; Postgres
  // rejects such a query string outright.
  if (text.includes('\u0000')) return parseError(performance.now() - startedMs);
  let statements: readonly StatementAnalysis[];
  try {
    // libpg-query rejects the empty string; Postgres answers it with an empty response.
    const parsed = text === '' ? { stmts: [] } : parser.parseSync(text);
    statements = (parsed.stmts ?? []).map((raw) => analyzeStatement((raw.stmt ?? {}) as Tree, allow));
  } catch {
    return parseError(performance.now() - startedMs);
  }
  let normalized: string | undefined;
  try {
    normalized = text === '' ? '' : parser.normalizeSync(text);
  } catch {
    // Not seen for a text that parsed; the label then says so rather than carry values.
  }
  const { fingerprint, hint } =
    normalized === undefined
      ? { fingerprint: '<unnormalized>', hint: undefined }
      : fingerprintSql(normalized);
  const first = statements[0];
  let bypass: BypassReason | undefined =
    first === undefined ? 'utility' : statements.length > 1 ? 'multiple-statements' : first.bypass;
  if (bypass === undefined && hint?.skip === true) bypass = 'hint-skip';
  return Object.freeze({
    statements: Object.freeze(statements),
    fingerprint,
    reads: union(statements, 'reads'),
    writes: union(statements, 'writes'),
    bypass,
    hint,
    parseMs: performance.now() - startedMs,
  });
}

function union(statements: readonly StatementAnalysis[], field: 'reads' | 'writes'): readonly RelationRef[] {
  if (statements.length === 1) return (statements[0] as StatementAnalysis)[field];
  const set = new Map<string, RelationRef>();
  for (const statement of statements)
    for (const ref of statement[field]) addRelation(set, ref.schema, ref.name);
  return Object.freeze([...set.values()]);
}

function parseError(parseMs: number): SqlAnalysis {
  return Object.freeze({
    statements: Object.freeze([]),
    fingerprint: PARSE_ERROR_FINGERPRINT,
    reads: Object.freeze([]),
    writes: Object.freeze([]),
    bypass: 'parse-error',
    hint: undefined,
    parseMs,
  });
}
