/**
 * The diagnostics channels of `larder/sql`. Exporters subscribe from outside
 * (STYLE §6); payloads carry fingerprints (SQL with literals removed) and
 * counts, never parameter values, raw keys or table names.
 */
import diagnostics from 'node:diagnostics_channel';
import type { PayloadChannel } from '../core/events.js';
import type { SqlBypassReason } from './sql-bypass-reason.js';
import type { QueryOutcome } from './sql-stats.js';

/** The payload of each of `larder/sql`'s diagnostics channels, by channel name. */
export interface SqlChannelPayloads {
  /** One query through a cached pool or client. */
  readonly 'larder:sql:query': {
    /** The normalized SQL, literals replaced by `$n`. */
    readonly fingerprint: string;
    readonly outcome: QueryOutcome;
    /** Why it bypassed the cache (only for `outcome: 'bypass'`). */
    readonly reason?: SqlBypassReason;
    /** How long the analysis took (0 for a text analyzed before). */
    readonly parseMs: number;
  };
  /**
   * Table tags were bumped. `commit`: a transaction's queued writes after
   * COMMIT; `statement`: a write outside a transaction; `cdc`: the CDC
   * listener; `full`: the whole database.
   */
  readonly 'larder:sql:invalidate': {
    /** How many tables (a count, never the names; 0 for `full` from the listener). */
    readonly tables: number;
    readonly source: 'commit' | 'statement' | 'cdc' | 'full';
  };
  /** The CDC listener's replication lag (see `CdcLag`). */
  readonly 'larder:sql:cdc-lag': { readonly lagBytes: number; readonly lagMs: number };
}

/** The names of the SQL layer's `node:diagnostics_channel` channels; payloads in `SqlChannelPayloads`. */
export const SQL_CHANNELS = Object.freeze({
  /** One query through a cached pool or client. */
  query: 'larder:sql:query',
  /** Table tags were bumped. */
  invalidate: 'larder:sql:invalidate',
  /** The CDC listener's replication lag. */
  cdcLag: 'larder:sql:cdc-lag',
} as const satisfies Readonly<Record<string, keyof SqlChannelPayloads>>);

function payloadChannel<N extends keyof SqlChannelPayloads>(name: N): PayloadChannel<SqlChannelPayloads[N]> {
  return diagnostics.channel(name);
}

/** The channels, created once (a lookup per publish would cost on the hot path). */
export const sqlChannels = Object.freeze({
  query: payloadChannel(SQL_CHANNELS.query),
  invalidate: payloadChannel(SQL_CHANNELS.invalidate),
  cdcLag: payloadChannel(SQL_CHANNELS.cdcLag),
});
