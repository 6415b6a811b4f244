/**
 * `larder/sql`: query-result caching for node-postgres — parsed with the
 * Postgres grammar, invalidated after COMMIT and from the WAL.
 */

export { type CachedClient, cachedClient } from './cached-client.js';
export { type CachedPool, cachedPool } from './cached-pool.js';
export { type CdcLag, type CdcListener, type CdcStats, createCdcListener } from './cdc/cdc-listener.js';
export type { CdcListenerOptions } from './cdc/cdc-options.js';
export type { CachedQueryConfig } from './query-call.js';
export type { SqlBypassReason } from './sql-bypass-reason.js';
export { SQL_CHANNELS, type SqlChannelPayloads } from './sql-channels.js';
export type {
  CachedSqlOptions,
  InvalidationFailurePolicy,
  QueryCacheOptions,
  TableCacheOptions,
} from './sql-options.js';
export type { FingerprintStats, QueryOutcome, SqlStats } from './sql-stats.js';
export { type DatabaseIdentity, databaseTag, tableTag } from './table-tags.js';
