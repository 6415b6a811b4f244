/**
 * The "suspect" state of an L1 gate: an L2 call failed as unhealthy (a timeout,
 * a lost connection), so the server the bus runs on may be frozen or gone, and
 * invalidations may be going missing. The heartbeat would notice after its
 * timeout (5 s by default); a failure is noticed at once.
 *
 * Suspicion ends only on proof that the bus works *after* the failure:
 * - heartbeat on: one of the store's own messages sent at or after the
 *   failure's instant comes back (an echo proves the server ran the publish
 *   and the subscription delivered it, and with it everything published
 *   before it). A message sent earlier and delivered late proves nothing
 *   about the time since: the next heartbeat, or a probe sent on the
 *   failure, has to come back.
 * - heartbeat off: a publish sent at or after the failure's instant succeeds
 *   while the subscription is live (a round trip to the server, and the
 *   subscription's own view of its connection; nothing proves delivery).
 *
 * Instants are whole milliseconds of the injected clock: a message sent in the
 * failure's millisecond but just before it counts as after it.
 *
 * Each new failure moves the instant forward, so proof must postdate the last.
 */

import { type BackoffDelays, backoffDelayMs } from '../../core/backoff.js';
import type { Clock } from '../../core/types.js';

/** What a suspicion needs. */
export interface SuspicionParts {
  readonly clock: Clock;
  readonly retry: BackoffDelays;
  readonly random: () => number;
  /** Proof is an echo (heartbeat on) rather than a successful probe. */
  readonly echoes: boolean;
  /** Publish one message of the store's own (an empty invalidation). */
  readonly probe: () => Promise<void>;
  /** Whether the subscription is live. */
  readonly isSubscribed: () => boolean;
  /** Suspicion began (`true`) or ended (`false`). */
  readonly onChange: (suspect: boolean) => void;
}

/** Whether one store's L1 is suspect after an L2 failure. */
export class Suspicion {
  readonly #parts: SuspicionParts;
  /** The instant of the latest failure while suspect; `undefined` when not suspect. */
  #failedAt: number | undefined;
  #probing = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(parts: SuspicionParts) {
    this.#parts = parts;
  }

  /** Whether L1 must not serve. */
  get active(): boolean {
    return this.#failedAt !== undefined;
  }

  /** An L2 call failed as unhealthy, now. */
  failed(): void {
    if (this.#stopped) return;
    const wasActive = this.active;
    this.#failedAt = this.#parts.clock.now();
    if (!wasActive) this.#parts.onChange(true);
    this.#probe();
  }

  /** One of the store's own messages, sent at `sentAt`, came back. */
  heard(sentAt: number): void {
    const failedAt = this.#failedAt;
    if (this.#parts.echoes && failedAt !== undefined && sentAt >= failedAt) this.#end();
  }

  /** Stop probing for good (the store closes). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Publish a probe (one at a time). With echoes, its echo is the proof and
   * the heartbeat keeps sending more: one probe per failure is enough. Without,
   * its success is the proof, so it is retried with backoff until one made
   * after the latest failure succeeds while subscribed.
   */
  #probe(): void {
    if (this.#probing || this.#stopped || this.#timer !== undefined) return;
    this.#probing = true;
    const { clock, probe, echoes } = this.#parts;
    const sentAt = clock.now();
    let sent: Promise<void>;
    try {
      sent = probe();
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => {
        this.#probing = false;
        const failedAt = this.#failedAt;
        if (echoes || failedAt === undefined) return;
        if (sentAt >= failedAt && this.#parts.isSubscribed()) this.#end();
        else this.#retry();
      },
      () => {
        this.#probing = false;
        // A failed probe is a failure too; the owner reports it through failed().
        if (!echoes) this.#retry();
      },
    );
  }

  #retry(): void {
    if (!this.active || this.#stopped || this.#timer !== undefined) return;
    const delayMs = backoffDelayMs(this.#attempt++, { ...this.#parts.retry, random: this.#parts.random });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.active) this.#probe();
    }, delayMs);
    this.#timer.unref();
  }

  #end(): void {
    this.#failedAt = undefined;
    this.#attempt = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#parts.onChange(false);
  }
}
