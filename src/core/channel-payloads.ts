/**
 * What each `node:diagnostics_channel` channel of core publishes (the names
 * are in `CHANNELS`, events.ts). Every publish is type-checked against this
 * map, and docs/*.md list the same fields (src/channel-payloads-docs.test.ts).
 * Payloads never carry a raw key, so exporters may use them as metric labels.
 */
import type { BreakerState } from './circuit-breaker.js';
import type { ErrorCode, LarderError } from './errors.js';

/** The method a counted read belongs to. */
export type ReadOperation = 'get' | 'getMany' | 'getOrSet' | 'gets' | 'has';

/**
 * Why a read found nothing fresh: `invalidated` covers tags and journaled
 * invalidations not yet stored; a `stale` entry may still be served by `getOrSet`.
 */
export type MissReason = 'absent' | 'stale' | 'invalidated' | 'corrupt' | 'unavailable';

/** Why `getOrSet` answered with a stale value. */
export type StaleReason = 'grace' | 'fail-safe' | 'soft-timeout' | 'hard-timeout' | 'lease-held';

/** Why a factory ran: nothing stored, an invalidated entry, a stale one, or an early refresh. */
export type RefreshTrigger = 'miss' | 'invalid' | 'stale' | 'early';

/** How a wait for another process's lease ended. */
export type LeaseWaitOutcome = 'value' | 'acquired' | 'timeout' | 'unavailable';

/** The payload of each of core's diagnostics channels, by channel name. */
export interface ChannelPayloads {
  /** A store failure or a decode error. */
  readonly 'larder:error': {
    readonly prefix: string;
    /** The cache method that failed, such as `get` or `invalidateTags`. */
    readonly operation: string;
    readonly code: ErrorCode;
    readonly error: LarderError;
  };
  /** A circuit breaker changed state. */
  readonly 'larder:breaker': {
    readonly prefix: string;
    /** The store's name (`redis`, `tiered`…). */
    readonly store: string;
    /** Which breaker: that of reads and writes, or that of invalidations. */
    readonly guards: 'operations' | 'invalidations';
    readonly state: BreakerState;
  };
  /** A read found a fresh value (once per key read by `get`, `getMany`, `getOrSet`, `has`). */
  readonly 'larder:hit': { readonly prefix: string; readonly operation: ReadOperation };
  /** A read found nothing fresh, once per key as for `larder:hit`. */
  readonly 'larder:miss': {
    readonly prefix: string;
    readonly operation: ReadOperation;
    readonly reason: MissReason;
  };
  /** `getOrSet` answered with a stale value. */
  readonly 'larder:stale-served': { readonly prefix: string; readonly reason: StaleReason };
  /** A factory run finished. */
  readonly 'larder:refresh': {
    readonly prefix: string;
    readonly trigger: RefreshTrigger;
    /** How long the factory took, by the cache's clock. */
    readonly durationMs: number;
    /** Whether the factory returned a value (it did not throw or time out). */
    readonly ok: boolean;
    /** Whether the value was stored. */
    readonly stored: boolean;
  };
  /** A `getOrSet` call joined a factory run already in flight in this process. */
  readonly 'larder:coalesced': { readonly prefix: string };
  /** A `getOrSet` call waited for another process's lease. */
  readonly 'larder:lease-wait': {
    readonly prefix: string;
    readonly waitedMs: number;
    readonly outcome: LeaseWaitOutcome;
  };
  /** A lease was taken after its holder's expired without a value. */
  readonly 'larder:lease-takeover': { readonly prefix: string };
  /** Tags were invalidated. */
  readonly 'larder:invalidate': {
    readonly prefix: string;
    /** How many tags (a count, never the names). */
    readonly tags: number;
    /** Whether the invalidation was stored (`false`: journaled). */
    readonly ok: boolean;
  };
  /** A tiered store received a bus message. */
  readonly 'larder:bus-lag': {
    /** The bus channel it came on. */
    readonly channel: string;
    /** How long after it was sent, by the two processes' clocks. */
    readonly lagMs: number;
  };
}
