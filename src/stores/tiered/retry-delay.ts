/** Exponential backoff with jitter, for re-subscribing and re-publishing. */

/** The bounds of a backoff. */
export interface RetryDelays {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The wait before retry number `attempt` (0 for the first): doubling from the
 * initial delay up to the maximum, then scaled into [50%, 100%] so that many
 * processes that lost the same server do not all come back in the same instant.
 */
export function retryDelayMs(attempt: number, delays: RetryDelays, random: () => number): number {
  const ceiling = Math.min(delays.maxDelayMs, delays.initialDelayMs * 2 ** Math.min(attempt, 30));
  return ceiling * (0.5 + random() * 0.5);
}
