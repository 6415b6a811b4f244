/**
 * When a state changed (the circuit breaker's, the tiered L1's), so that time
 * spent in a bad state can be cut by phase afterwards. The breaker's changes
 * come from the `larder:breaker` diagnostics channel, each as it happens (a
 * breaker can open and close again within a millisecond: a late success
 * closes it); the L1 state is sampled.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { monotonicMs } from './fault-database.js';

/** A state's history. */
export class StateLog {
  readonly #at: number[] = [Number.NEGATIVE_INFINITY];
  readonly #states: string[];

  constructor(initial: string) {
    this.#states = [initial];
  }

  /** Note the state now (ignored when unchanged). */
  record(state: string, at = monotonicMs()): void {
    if (this.#states[this.#states.length - 1] === state) return;
    this.#at.push(at);
    this.#states.push(state);
  }

  /** Intervals [from, to) spent in each state, clipped to [startAt, endAt). */
  #intervals(startAt: number, endAt: number): Array<{ state: string; from: number; to: number }> {
    const out: Array<{ state: string; from: number; to: number }> = [];
    for (let i = 0; i < this.#states.length; i++) {
      const from = Math.max(startAt, this.#at[i] ?? Number.NEGATIVE_INFINITY);
      const to = Math.min(endAt, this.#at[i + 1] ?? Number.POSITIVE_INFINITY);
      if (to > from) out.push({ state: this.#states[i] ?? '?', from, to });
    }
    return out;
  }

  /** Milliseconds of [startAt, endAt) spent in a state other than `good`. */
  msNotIn(good: string, startAt: number, endAt: number): number {
    return this.#intervals(startAt, endAt)
      .filter((interval) => interval.state !== good)
      .reduce((sum, interval) => sum + interval.to - interval.from, 0);
  }

  /** How many times `state` was entered within [startAt, endAt). */
  entries(state: string, startAt: number, endAt: number): number {
    let count = 0;
    for (let i = 1; i < this.#states.length; i++) {
      const at = this.#at[i] ?? Number.NaN;
      if (this.#states[i] === state && at >= startAt && at < endAt) count++;
    }
    return count;
  }

  /** The end of the last stretch not in `good` within [startAt, endAt), or undefined. */
  lastNotIn(good: string, startAt: number, endAt: number): number | undefined {
    const bad = this.#intervals(startAt, endAt).filter((interval) => interval.state !== good);
    return bad[bad.length - 1]?.to;
  }
}

/** Record the breaker changes of the cache with `prefix` until the returned function is called. */
export function watchBreaker(prefix: string, log: StateLog): () => void {
  const listener = (message: unknown) => {
    const { prefix: from, state } = message as { prefix?: string; state?: string };
    if (from === prefix && typeof state === 'string') log.record(state);
  };
  subscribe('larder:breaker', listener);
  return () => unsubscribe('larder:breaker', listener);
}
