/** What a tiered store counts: how its L1 is doing and how the bus keeps it coherent. */

/** Whether the L1 is in use. */
export type L1State = 'live' | 'quarantined' | 'closed';

/** A snapshot of a tiered store's counters (`TieredStore.stats()`). */
export interface TieredStats {
  /**
   * `live`: L1 serves and fills. `quarantined`: the bus is not subscribed (not
   * yet, or lost), its heartbeat is overdue, or an L2 failure has not yet been
   * followed by proof that the bus works, so every read goes to L2 and nothing
   * is filled. `closed`.
   */
  readonly l1: L1State;
  /** Entries in L1 now. */
  readonly l1Entries: number;
  /** Reads that went to L2 (L1 misses, quarantined or `skipL1` reads). */
  readonly l2Reads: number;
  /** L2 replies not put into L1 because an invalidation overtook them, or L1 was quarantined meanwhile. */
  readonly fillsSkipped: number;
  /** Messages heard on the channel, this store's own included. */
  readonly messagesReceived: number;
  /** Invalidations from other processes applied to L1. */
  readonly invalidationsApplied: number;
  /** Messages that were not invalidations of a known format; each dropped the whole L1. */
  readonly malformedMessages: number;
  /** Publish attempts that failed (each is retried until it succeeds, collapses or expires). */
  readonly publishFailures: number;
  /** Times the retry backlog outgrew `maxPendingKeys` and became one "drop everything". */
  readonly publishesCollapsed: number;
  /** Backlogs dropped unsent because every L1 copy they targeted had expired by then. */
  readonly publishesExpired: number;
  /** Keys and prefixes written to L2 whose invalidation is not yet published: the open window. */
  readonly unpublishedKeys: number;
  /** When the oldest unpublished write finished (epoch ms), or `undefined` when none is pending. */
  readonly unpublishedAt: number | undefined;
  /** Times a live L1 was taken out of service: the bus went down, its heartbeat stopped coming back, or L2 failed. */
  readonly quarantines: number;
  /** Times the heartbeat's echo was overdue (each also counts as a quarantine). */
  readonly heartbeatTimeouts: number;
  /**
   * Times an unhealthy L2 failure made L1 suspect: out of service until the bus
   * proved live after it (each also counts as a quarantine when L1 was live).
   */
  readonly suspicions: number;
  /** Subscribe attempts that failed (retried with backoff). */
  readonly subscribeFailures: number;
  /** Receive time minus sent time of the latest message from another process. */
  readonly lastLagMs: number | undefined;
  /** The largest such lag seen. */
  readonly maxLagMs: number | undefined;
}

/** The mutable counters behind `TieredStats`. */
export interface TieredCounters {
  l2Reads: number;
  fillsSkipped: number;
  messagesReceived: number;
  invalidationsApplied: number;
  malformedMessages: number;
  publishFailures: number;
  publishesCollapsed: number;
  publishesExpired: number;
  quarantines: number;
  heartbeatTimeouts: number;
  suspicions: number;
  subscribeFailures: number;
  lastLagMs: number | undefined;
  maxLagMs: number | undefined;
}

/** Fresh counters. */
export function createCounters(): TieredCounters {
  return {
    l2Reads: 0,
    fillsSkipped: 0,
    messagesReceived: 0,
    invalidationsApplied: 0,
    malformedMessages: 0,
    publishFailures: 0,
    publishesCollapsed: 0,
    publishesExpired: 0,
    quarantines: 0,
    heartbeatTimeouts: 0,
    suspicions: 0,
    subscribeFailures: 0,
    lastLagMs: undefined,
    maxLagMs: undefined,
  };
}
