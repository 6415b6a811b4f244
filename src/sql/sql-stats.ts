/**
 * Counters of a cached pool or client: per query fingerprint (the normalized
 * SQL with literals removed, never values) and per invalidated table, both
 * bounded so that a stream of distinct texts cannot grow memory without limit.
 */
import type { SqlBypassReason } from './sql-bypass-reason.js';
import { sqlChannels } from './sql-channels.js';

/** What happened to one query. */
export type QueryOutcome = 'hit' | 'miss' | 'bypass';

/** The counters of one fingerprint. */
export interface FingerprintStats {
  readonly fingerprint: string;
  readonly hits: number;
  readonly misses: number;
  readonly bypasses: number;
  /** Bypasses by reason. */
  readonly reasons: Readonly<Partial<Record<SqlBypassReason, number>>>;
  /** Total parse and classify time, in ms (cached parses count 0). */
  readonly parseMs: number;
}

/** A snapshot of a wrapper's counters. */
export interface SqlStats {
  readonly hits: number;
  readonly misses: number;
  readonly bypasses: number;
  /** Invalidations run (one per committed transaction or write statement that wrote tables). */
  readonly invalidations: number;
  /** Per fingerprint, in first-seen order; past `maxFingerprints` they count under `'(other)'`. */
  readonly queries: readonly FingerprintStats[];
  /** How many times each table (`schema.table`) was invalidated by this wrapper. */
  readonly tables: Readonly<Record<string, number>>;
}

/** The fingerprint that collects queries past the limit. */
export const OTHER_FINGERPRINT = '(other)';
/** The database-wide invalidation, as a key of `SqlStats.tables`. */
export const ALL_TABLES_LABEL = '*';

interface Counters {
  hits: number;
  misses: number;
  bypasses: number;
  reasons: Partial<Record<SqlBypassReason, number>>;
  parseMs: number;
}

/** The mutable counters behind `stats()`. */
export class SqlCounters {
  readonly #max: number;
  readonly #byFingerprint = new Map<string, Counters>();
  readonly #tables = new Map<string, number>();
  #hits = 0;
  #misses = 0;
  #bypasses = 0;
  #invalidations = 0;

  constructor(maxFingerprints: number) {
    this.#max = maxFingerprints;
  }

  /** Count one query and publish it on `larder:sql:query`. */
  query(
    fingerprint: string,
    outcome: QueryOutcome,
    reason: SqlBypassReason | undefined,
    parseMs: number,
  ): void {
    const counters = this.#counters(fingerprint);
    counters.parseMs += parseMs;
    if (outcome === 'hit') {
      this.#hits++;
      counters.hits++;
    } else if (outcome === 'miss') {
      this.#misses++;
      counters.misses++;
    } else {
      this.#bypasses++;
      counters.bypasses++;
      if (reason !== undefined) counters.reasons[reason] = (counters.reasons[reason] ?? 0) + 1;
    }
    if (sqlChannels.query.hasSubscribers) {
      sqlChannels.query.publish(
        reason === undefined ? { fingerprint, outcome, parseMs } : { fingerprint, outcome, reason, parseMs },
      );
    }
  }

  /** Count one invalidation of `labels` (`schema.table`, or `*` for the whole database). */
  invalidation(labels: readonly string[], source: 'commit' | 'statement'): void {
    this.#invalidations++;
    for (const label of labels) {
      if (this.#tables.has(label) || this.#tables.size < this.#max) {
        this.#tables.set(label, (this.#tables.get(label) ?? 0) + 1);
      }
    }
    if (sqlChannels.invalidate.hasSubscribers) {
      const full = labels.includes(ALL_TABLES_LABEL);
      sqlChannels.invalidate.publish({ tables: labels.length, source: full ? 'full' : source });
    }
  }

  snapshot(): SqlStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      bypasses: this.#bypasses,
      invalidations: this.#invalidations,
      queries: [...this.#byFingerprint].map(([fingerprint, c]) => ({
        fingerprint,
        hits: c.hits,
        misses: c.misses,
        bypasses: c.bypasses,
        reasons: { ...c.reasons },
        parseMs: c.parseMs,
      })),
      tables: Object.fromEntries(this.#tables),
    };
  }

  #counters(fingerprint: string): Counters {
    let counters = this.#byFingerprint.get(fingerprint);
    if (counters !== undefined) return counters;
    const label = this.#byFingerprint.size < this.#max ? fingerprint : OTHER_FINGERPRINT;
    counters = this.#byFingerprint.get(label);
    if (counters === undefined) {
      counters = { hits: 0, misses: 0, bypasses: 0, reasons: {}, parseMs: 0 };
      this.#byFingerprint.set(label, counters);
    }
    return counters;
  }
}
