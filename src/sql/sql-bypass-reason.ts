import type { BypassReason } from './analyzer/sql-analysis.js';

/**
 * Why a query did not use the cache: the analyzer's reasons (a write, a
 * volatile function...) plus those only the wrapper can see, knowing the
 * catalog and the connection.
 *
 * - `unknown-relation`: a name resolves to no relation (the query will fail).
 * - `foreign-table`, `sequence`: data that changes without a write the wrapper or the WAL sees.
 * - `row-security`: a table has row-level security, whose policies may depend on settings the key cannot see.
 * - `snapshot-isolation`: a REPEATABLE READ / SERIALIZABLE transaction reads an older snapshot than the cache holds.
 * - `aborted-transaction`: the transaction failed; Postgres will reject the query.
 * - `opaque-transaction`: the transaction ran something that may have written tables the wrapper cannot name.
 * - `too-many-tables`: more tables than an entry may carry tags (31).
 * - `binary`: binary result format.
 * - `unkeyable-parameters`: a parameter node-postgres cannot serialize (a cycle).
 * - `lookup-failed`: reading the session or the catalog failed (the connection broke).
 * - `shared-run-failed`: a concurrent caller's run of the same query failed; this caller ran its own.
 * - `shared-run-waiting`: a concurrent `pool.query` run of the same query waits for a pool connection
 *   (maybe the one this caller holds); this caller ran the query on its own connection instead.
 * - `cache-unavailable`: the cache failed (under `onError: 'throw'`); the query ran against the database.
 */
export type SqlBypassReason =
  | BypassReason
  | 'unknown-relation'
  | 'foreign-table'
  | 'sequence'
  | 'row-security'
  | 'snapshot-isolation'
  | 'aborted-transaction'
  | 'opaque-transaction'
  | 'too-many-tables'
  | 'binary'
  | 'unkeyable-parameters'
  | 'lookup-failed'
  | 'shared-run-failed'
  | 'shared-run-waiting'
  | 'cache-unavailable';
