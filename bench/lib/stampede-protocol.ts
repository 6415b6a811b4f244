/**
 * Messages between bench/stampede.ts and its worker processes (IPC). Instants
 * are `process.hrtime.bigint()` readings as decimal strings: CLOCK_MONOTONIC,
 * one clock for every process on the machine, so they compare across processes.
 */

/** Parent to worker. */
export type StampedeMessage =
  | {
      readonly type: 'init';
      readonly redisUrl: string;
      readonly prefix: string;
      readonly callers: number;
      readonly factoryMs: number;
    }
  | {
      readonly type: 'run';
      readonly contender: string;
      readonly key: string;
      readonly counterKey: string;
      readonly startAt: string;
    }
  /** Wait until every Larder circuit breaker is closed. */
  | { readonly type: 'settle' }
  | { readonly type: 'close' };

/** Worker to parent, after a run. */
export interface StampedeDone {
  readonly type: 'done';
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Callers whose read rejected. */
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Callers that got `undefined` or `null` instead of the factory's value. */
  readonly empty: number;
  /** Larder's own counters over the run (from `cache.stats()`), this process only. */
  readonly larder: LarderRunCounters | undefined;
}

/** Larder's counters over one run (`cache.stats()` after minus before, and error events). */
export interface LarderRunCounters {
  readonly factoryCalls: number;
  readonly coalesced: number;
  readonly leaseWaits: number;
  readonly leaseTakeovers: number;
  /** Store failures (every kind, timeouts included) that the cache degraded. */
  readonly errors: number;
  /** `operation code` of each error event, e.g. `lease E_TIMEOUT`, with its count. */
  readonly errorKinds: Readonly<Record<string, number>>;
}

/** Worker to parent. */
export type StampedeReply =
  | { readonly type: 'ready' }
  /** How many Larder breakers were not closed before `settle` closed them. */
  | { readonly type: 'settled'; readonly open: number }
  | StampedeDone
  | { readonly type: 'error'; readonly error: string };
