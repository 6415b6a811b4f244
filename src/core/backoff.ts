/**
 * The one backoff every retry loop uses: the redis store's reconnections, the
 * tiered store's re-subscribes, re-publishes and probes, the CDC listener's
 * reconnections and bumps, and the invalidation journal's replays. Each
 * caller keeps its own numbers and its own attempt count; this computes the
 * wait.
 */

/** The delays of a capped exponential backoff, in ms. */
export interface BackoffDelays {
  /** The wait before the first retry. */
  readonly initialDelayMs: number;
  /** The longest wait, however many attempts failed. */
  readonly maxDelayMs: number;
}

/** A backoff: its delays, and where its jitter comes from (none without `random`). */
export interface Backoff extends BackoffDelays {
  /**
   * Randomness in [0, 1). With it, each wait is 50–100% of its step ("equal
   * jitter": the fixed half keeps a dead server from being hammered, the
   * random half keeps processes that lost it together from retrying in
   * lockstep). Without it, each wait is the step itself.
   */
  readonly random?: (() => number) | undefined;
}

/**
 * The wait before retry number `attempt` (0 for the first): the initial delay
 * doubled `attempt` times, capped at the maximum, then jittered.
 */
export function backoffDelayMs(attempt: number, backoff: Backoff): number {
  // Clamp the exponent so 2 ** attempt never overflows to Infinity.
  const stepMs = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt, 30));
  const { random } = backoff;
  return random === undefined ? stepMs : stepMs / 2 + (random() * stepMs) / 2;
}
