/**
 * A circuit breaker: after `failureThreshold` consecutive store failures it opens
 * and calls fail at once, without touching the store; after `openMs` it lets one
 * probe through (half-open); the probe's success closes it, its failure reopens it.
 */
import type { Clock } from './types.js';

/** The breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Counts consecutive failures and decides whether a call may reach the store. */
export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #openMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = 'closed';
  #probing = false;
  /** Called on every state change. */
  onChange: ((state: BreakerState) => void) | undefined;

  constructor(failureThreshold: number, openMs: number, clock: Clock) {
    this.#failureThreshold = failureThreshold;
    this.#openMs = openMs;
    this.#clock = clock;
  }

  /** The current state (an open breaker past `openMs` reports half-open). */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.#openMs) return 'half-open';
    return this.#state;
  }

  /**
   * Whether a call may go to the store now. While half-open exactly one call (the
   * probe) is let through until it reports back.
   */
  allow(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#probing) return false;
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt < this.#openMs) return false;
    this.#probing = true;
    this.#set('half-open');
    return true;
  }

  /** True while a half-open probe is out: the call just allowed through is that probe. */
  get probing(): boolean {
    return this.#probing;
  }

  /**
   * The probe came back without saying anything about the store (an answer from
   * a local tier, a timeout caused by our own stall): free the probe slot and
   * stay half-open, so that the next call becomes the probe.
   */
  release(): void {
    this.#probing = false;
  }

  /** A call succeeded. */
  success(): void {
    this.#failures = 0;
    if (this.#state !== 'closed') {
      this.#probing = false;
      this.#set('closed');
    }
  }

  /** A call failed in a way that says the store is unhealthy. */
  failure(): void {
    this.#failures++;
    if (this.#state === 'half-open' || this.#failures >= this.#failureThreshold) {
      this.#probing = false;
      this.#openedAt = this.#clock.now();
      if (this.#state !== 'open') this.#set('open');
    }
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.onChange?.(state);
  }
}
