/**
 * The diagnostics channels of `larder/sql`. Exporters subscribe from outside
 * (STYLE §6); payloads carry fingerprints (SQL with literals removed) and
 * counts, never parameter values, raw keys or table names.
 */
import diagnostics from 'node:diagnostics_channel';

/** The names of the SQL layer's `node:diagnostics_channel` channels. */
export const SQL_CHANNELS = Object.freeze({
  /**
   * One query through a cached pool or client:
   * `{ fingerprint, outcome: 'hit' | 'miss' | 'bypass', reason?, parseMs }`.
   */
  query: 'larder:sql:query',
  /**
   * Table tags were bumped: `{ tables: number, source: 'commit' | 'statement' | 'cdc' | 'full' }`.
   * `commit`: a transaction's queued writes after COMMIT; `statement`: a write outside a transaction.
   */
  invalidate: 'larder:sql:invalidate',
  /** The CDC listener's replication lag: `{ lagBytes, lagMs }`. */
  cdcLag: 'larder:sql:cdc-lag',
});

/** The channels, created once (a lookup per publish would cost on the hot path). */
export const sqlChannels = Object.freeze({
  query: diagnostics.channel(SQL_CHANNELS.query),
  invalidate: diagnostics.channel(SQL_CHANNELS.invalidate),
  cdcLag: diagnostics.channel(SQL_CHANNELS.cdcLag),
});
