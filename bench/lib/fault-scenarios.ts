/**
 * The scenarios of bench/faults.ts: which store, which fault, how the writer
 * invalidates, how many processes read.
 */

/** `redisStore` alone, or `tieredStore({ l2: redisStore })`. */
export type StoreKind = 'redis' | 'tiered';
/** SIGSTOP then SIGCONT; SIGKILL then a fresh server; or a healthy Redis and a blocked event loop. */
export type FaultKind = 'freeze' | 'kill' | 'stall';
/** `delete(key)`, `invalidateTags([tag])`, or `set(key, new row)`. */
export type WriterKind = 'delete' | 'tags' | 'set';

/** One scenario. */
export interface Scenario {
  readonly store: StoreKind;
  readonly fault: FaultKind;
  readonly writer: WriterKind;
  /** 1: everything in the bench process; 2: a child process reads too, with a cache of its own. */
  readonly processes: 1 | 2;
}

const STORES: readonly StoreKind[] = ['redis', 'tiered'];

/**
 * The default list: both stores frozen and killed with `delete`, the Redis
 * store under event-loop stalls, then the two
 * other writers under a freeze (the fault that loses most invalidations), then
 * the tiered store with a second process reading: the one whose L1 can keep
 * what the writer failed to invalidate.
 */
export const SCENARIOS: readonly Scenario[] = [
  ...(['freeze', 'kill'] as const).flatMap((fault) =>
    STORES.map((store) => ({ store, fault, writer: 'delete' as const, processes: 1 as const })),
  ),
  // Core's timeouts and breaker decide this one; a tiered store's L1 hits never wait on Redis.
  { store: 'redis', fault: 'stall', writer: 'delete', processes: 1 },
  ...(['tags', 'set'] as const).flatMap((writer) =>
    STORES.map((store) => ({ store, fault: 'freeze' as const, writer, processes: 1 as const })),
  ),
  { store: 'tiered', fault: 'freeze', writer: 'delete', processes: 2 },
];
