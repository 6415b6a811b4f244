/**
 * `larder/sql`: query-result caching for node-postgres — parsed with the
 * Postgres grammar, invalidated after COMMIT and from the WAL.
 */
export type {
  BypassReason,
  RelationRef,
  SqlAnalysis,
  StatementAnalysis,
  StatementKind,
  TransactionControl,
} from './sql-analysis.js';
export { type DatabaseIdentity, databaseTag, tableTag } from './table-tags.js';
