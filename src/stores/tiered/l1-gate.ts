/**
 * Whether L1 may serve: only while the bus subscription is live and the
 * store's heartbeat keeps coming back. Owns the subscription (BusLink) and the
 * heartbeat, and reports every change, on which the store empties L1.
 */
import { LarderError } from '../../core/errors.js';
import type { Bus } from '../../core/store.js';
import type { Clock } from '../../core/types.js';
import { BusLink } from './bus-link.js';
import { Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { encodeInvalidation } from './invalidation-message.js';
import type { RetryDelays } from './retry-delay.js';
import type { TieredCounters } from './tiered-stats.js';

/** What the gate needs. */
export interface L1GateOptions {
  readonly bus: Bus;
  readonly channel: string;
  readonly origin: string;
  readonly retry: RetryDelays;
  readonly random: () => number;
  readonly clock: Clock;
  readonly heartbeat: Required<HeartbeatOptions> | undefined;
  readonly counters: TieredCounters;
  /** A message arrived on the channel. */
  readonly onMessage: (text: string) => void;
  /** L1 may now serve (`true`) or must not (`false`). */
  readonly onChange: (live: boolean) => void;
}

/** The gate of one tiered store's L1. */
export class L1Gate {
  readonly #options: L1GateOptions;
  readonly #link: BusLink;
  readonly #heartbeat: Heartbeat | undefined;
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
    if (heartbeat !== undefined) {
      this.#heartbeat = new Heartbeat({
        ...heartbeat,
        clock,
        send: () => {
          const beat = encodeInvalidation({
            origin,
            sentAt: clock.now(),
            keys: [],
            prefixes: [],
            all: false,
          });
          // A lost heartbeat is what the timeout is for: nothing to retry.
          Promise.resolve()
            .then(() => bus.publish(channel, beat))
            .catch(() => {});
        },
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

  /** One of the store's own messages came back. */
  heard(): void {
    this.#heartbeat?.heard();
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
    this.#update();
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(new LarderError('E_CLOSED', 'tieredStore: closed before the bus was live'));
    await this.#link.close();
  }

  #update(): void {
    const live = !this.#closed && this.#subscribed && this.#heartbeat?.late !== true;
    if (live === this.#live) return;
    this.#live = live;
    this.#options.onChange(live);
    if (live) for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }
}
