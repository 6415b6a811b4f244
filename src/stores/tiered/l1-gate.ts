/**
 * Whether L1 may serve: only while the bus subscription is live, the store's
 * heartbeat keeps coming back, and no L2 failure is unanswered (Suspicion).
 * Owns the subscription (BusLink), the heartbeat and the suspicion, and
 * reports every change, on which the store empties L1.
 */

import type { BackoffDelays } from '../../core/backoff.js';
import { LarderError } from '../../core/errors.js';
import type { Bus } from '../../core/store.js';
import type { Clock } from '../../core/types.js';
import { BusLink } from './bus-link.js';
import { Heartbeat, type HeartbeatTiming } from './heartbeat.js';
import { encodeInvalidation } from './invalidation-message.js';
import { Suspicion } from './suspicion.js';
import type { TieredCounters } from './tiered-stats.js';

/** What the gate needs. */
export interface L1GateOptions {
  readonly bus: Bus;
  readonly channel: string;
  readonly origin: string;
  readonly retry: BackoffDelays;
  readonly random: () => number;
  readonly clock: Clock;
  readonly heartbeat: HeartbeatTiming | undefined;
  readonly counters: TieredCounters;
  /** A message arrived on the channel. */
  readonly onMessage: (text: string) => void;
  /** L1 may now serve (`true`) or must not (`false`). */
  readonly onChange: (live: boolean) => void;
  /** A publish of the gate's own (heartbeat or probe) failed. */
  readonly onPublishFailure: (error: unknown) => void;
}

/** The gate of one tiered store's L1. */
export class L1Gate {
  readonly #options: L1GateOptions;
  readonly #link: BusLink;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #suspicion: Suspicion;
  #subscribed = false;
  #live = false;
  #closed = false;
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(options: L1GateOptions) {
    this.#options = options;
    const { bus, channel, origin, clock, counters, heartbeat } = options;
    this.#link = new BusLink(
      { bus, channel, retry: options.retry, random: options.random, counters },
      {
        message: options.onMessage,
        live: () => {
          this.#subscribed = true;
          this.#heartbeat?.start();
          this.#update();
        },
        lost: () => {
          this.#subscribed = false;
          this.#heartbeat?.stop();
          this.#update();
        },
      },
    );
    // An empty invalidation: other processes only read a lag from it.
    const publishBeat = (): Promise<void> => {
      const beat = encodeInvalidation({ origin, sentAt: clock.now(), keys: [], prefixes: [], all: false });
      return Promise.resolve()
        .then(() => bus.publish(channel, beat))
        .catch((error: unknown) => {
          options.onPublishFailure(error);
          throw error;
        });
    };
    this.#suspicion = new Suspicion({
      clock,
      retry: options.retry,
      random: options.random,
      echoes: heartbeat !== undefined,
      probe: publishBeat,
      isSubscribed: () => this.#subscribed,
      onChange: (suspect) => {
        if (suspect) counters.suspicions++;
        this.#update();
      },
    });
    if (heartbeat !== undefined) {
      this.#heartbeat = new Heartbeat({
        ...heartbeat,
        clock,
        // A lost heartbeat is what the timeout is for: nothing to retry.
        send: () => void publishBeat().catch(() => {}),
        onLateChange: (late) => {
          if (late) counters.heartbeatTimeouts++;
          this.#update();
        },
      });
    }
  }

  /** Whether L1 may serve now. */
  get live(): boolean {
    return this.#live;
  }

  /** Subscribe (in the background, retried until it works). */
  start(): void {
    this.#link.start();
  }

  /** One of the store's own messages, sent at `sentAt`, came back. */
  heard(sentAt: number): void {
    this.#heartbeat?.heard();
    this.#suspicion.heard(sentAt);
  }

  /**
   * An L2 call failed as unhealthy: L1 is suspect (out of service) from now
   * until the bus proves live again after it (see Suspicion).
   */
  suspect(): void {
    if (!this.#closed) this.#suspicion.failed();
  }

  /** Resolves once L1 may serve; rejects with `E_CLOSED` if closed first. */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new LarderError('E_CLOSED', 'tieredStore: the store is closed'));
    if (this.#live) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Close L1 for good, and the subscription. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat?.stop();
    this.#suspicion.stop();
    this.#update();
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(new LarderError('E_CLOSED', 'tieredStore: closed before the bus was live'));
    await this.#link.close();
  }

  #update(): void {
    const live =
      !this.#closed && this.#subscribed && this.#heartbeat?.late !== true && !this.#suspicion.active;
    if (live === this.#live) return;
    this.#live = live;
    this.#options.onChange(live);
    if (live) for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }
}
