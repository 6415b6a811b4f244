/**
 * What the SQL layer knows about one SQL text after parsing it with the
 * Postgres grammar: the contract between the analyzer (analyze-sql.ts) and the
 * wrapper (cached-pool.ts). Pure data; no catalog lookups happen here, so names
 * are as written (an unqualified name is resolved against `search_path` by the
 * wrapper, which knows the connection).
 */

/** A relation named in a statement, as written. */
export interface RelationRef {
  /** The schema when the statement qualifies the name (`public.products`), else `undefined`. */
  readonly schema: string | undefined;
  /** The relation name, case-folded as Postgres does (unquoted → lower case; quoted kept). */
  readonly name: string;
}

/** What a statement does, for caching purposes. */
export type StatementKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'truncate'
  | 'copy-from'
  | 'copy-to'
  | 'ddl'
  | 'transaction'
  | 'set'
  | 'listen-notify'
  | 'other';

/** Transaction control statements, which the wrapper tracks per connection. */
export type TransactionControl =
  | { readonly kind: 'begin' }
  /** `chain`: `COMMIT AND CHAIN` starts a new transaction at once (same characteristics). */
  | { readonly kind: 'commit'; readonly chain?: boolean }
  /** `chain`: `ROLLBACK AND CHAIN` starts a new transaction at once. */
  | { readonly kind: 'rollback'; readonly chain?: boolean }
  | { readonly kind: 'savepoint'; readonly name: string }
  | { readonly kind: 'release'; readonly name: string }
  | { readonly kind: 'rollback-to'; readonly name: string }
  /** PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED: passed through, caching off for the connection's transaction. */
  | { readonly kind: 'two-phase' };

/** Why a statement is not served from or stored in the cache. */
export type BypassReason =
  | 'write'
  | 'ddl'
  | 'transaction-control'
  | 'set'
  | 'volatile-function'
  | 'unknown-function'
  | 'locking-clause'
  | 'system-catalog'
  | 'temp-table'
  | 'listen-notify'
  | 'select-into'
  | 'multiple-statements'
  | 'no-relation'
  | 'parse-error'
  | 'utility'
  | 'hint-skip'
  | 'excluded-table'
  | 'in-transaction-write'
  | 'custom-types'
  | 'streaming';

/** One statement of a SQL text. */
export interface StatementAnalysis {
  readonly kind: StatementKind;
  /** Relations read anywhere in the statement: FROM, joins, subqueries, CTEs, set operations, USING, RETURNING subqueries. */
  readonly reads: readonly RelationRef[];
  /** Relations written: INSERT/UPDATE/DELETE/MERGE/TRUNCATE/COPY FROM targets, writable CTEs, DDL targets (CREATE/ALTER/DROP …). */
  readonly writes: readonly RelationRef[];
  /** Functions called, lower-cased, schema-qualified when written so (`pg_catalog.now`). */
  readonly functions: readonly string[];
  /**
   * The functions of `functions` that are neither on the analyzer's safe or
   * volatile lists nor allow-listed: when `bypass` is `unknown-function`, the
   * wrapper may still cache if every one of these is immutable in `pg_proc`.
   */
  readonly unknownFunctions: readonly string[];
  /**
   * True when the statement may change relations it does not name, so `writes`
   * is incomplete: DO, CALL, EXECUTE, TRUNCATE … CASCADE, DROP SCHEMA … CASCADE,
   * DROP OWNED, DROP EXTENSION, ALTER SCHEMA … RENAME, GRANT … ON ALL TABLES IN
   * SCHEMA. The wrapper should invalidate the whole database after it commits.
   */
  readonly unknownWrites: boolean;
  /** Set for transaction control statements. */
  readonly transaction?: TransactionControl | undefined;
  /** True for `SET search_path` / `SET LOCAL search_path` / `RESET search_path` / `set_config('search_path', …)`: the wrapper re-reads it. */
  readonly changesSearchPath: boolean;
  /** True for `CREATE TEMP TABLE` (the wrapper remembers temp relations per connection). */
  readonly createsTemp: boolean;
  /**
   * Why this statement alone can never be cached (a write, a locking clause, a
   * volatile function...), or `undefined` when it is a read the analyzer proved
   * safe so far. Functions not on the analyzer's lists are `unknown-function`;
   * the wrapper may still allow them (immutable in `pg_proc`, or allow-listed).
   */
  readonly bypass: BypassReason | undefined;
}

/** The analysis of a whole SQL text (one or more statements). */
export interface SqlAnalysis {
  readonly statements: readonly StatementAnalysis[];
  /** The normalized text with literals replaced by `$n` (libpg-query's normalize): a metrics label, never values. */
  readonly fingerprint: string;
  /** Union over the statements. */
  readonly reads: readonly RelationRef[];
  readonly writes: readonly RelationRef[];
  /**
   * The first reason the text as a whole cannot be cached (several statements
   * are never cached), or `undefined` for a single cacheable read.
   */
  readonly bypass: BypassReason | undefined;
  /** Hints from SQL comments: `/* larder:skip *\/`, `/* larder:cache *\/`, `/* larder:ttl=30s *\/`. */
  readonly hint: { readonly skip?: boolean; readonly force?: boolean; readonly ttl?: string } | undefined;
  /** Time spent parsing and classifying, in ms (0 when served from the parse cache). */
  readonly parseMs: number;
}
