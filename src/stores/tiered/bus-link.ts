/**
 * The subscribing side of a tiered store: subscribe to the channel, retry with
 * backoff while that fails, and say when the subscription is live and when it
 * is lost. Only a live subscription lets L1 serve: a process that may be
 * missing invalidations must not answer from its own memory.
 */

import { type BackoffDelays, backoffDelayMs } from '../../core/backoff.js';
import type { Bus, BusSubscription } from '../../core/store.js';
import type { TieredCounters } from './tiered-stats.js';

/** What the link reports to its store. */
export interface BusLinkListener {
  /** A message arrived (also while not live: applying it is always safe). */
  message(text: string): void;
  /** The subscription is live: from now on every invalidation arrives. */
  live(): void;
  /** The subscription was lost: invalidations may be missed from now on. */
  lost(): void;
}

/** What a bus link needs. */
export interface BusLinkOptions {
  readonly bus: Bus;
  readonly channel: string;
  readonly retry: BackoffDelays;
  readonly random: () => number;
  readonly counters: TieredCounters;
}

type LinkState = 'idle' | 'subscribing' | 'waiting' | 'live' | 'down' | 'closed';

/** One store's subscription to its invalidation channel. */
export class BusLink {
  readonly #options: BusLinkOptions;
  readonly #listener: BusLinkListener;
  #state: LinkState = 'idle';
  #subscription: BusSubscription | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BusLinkOptions, listener: BusLinkListener) {
    this.#options = options;
    this.#listener = listener;
  }

  /** Whether invalidations are being received. */
  get live(): boolean {
    return this.#state === 'live';
  }

  /** Subscribe (in the background; failures are retried). */
  start(): void {
    if (this.#state === 'idle') this.#subscribe();
  }

  /** Stop retrying and close the subscription. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.close();
  }

  readonly #handlers = {
    message: (text: string): void => {
      if (this.#state !== 'closed') this.#listener.message(text);
    },
    down: (): void => {
      if (this.#state === 'live') {
        this.#state = 'down';
        this.#listener.lost();
      } else if (this.#state === 'subscribing') {
        // Lost before subscribe() even resolved: wait for up().
        this.#state = 'down';
      }
    },
    up: (): void => {
      if (this.#state === 'down' && this.#subscription !== undefined) this.#goLive();
    },
  };

  #goLive(): void {
    this.#state = 'live';
    this.#attempt = 0;
    this.#listener.live();
  }

  #subscribe(): void {
    this.#state = 'subscribing';
    let pending: Promise<BusSubscription>;
    try {
      pending = this.#options.bus.subscribe(this.#options.channel, this.#handlers);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (subscription) => {
        if (this.#state === 'closed') {
          void subscription.close().catch(() => {});
          return;
        }
        this.#subscription = subscription;
        // down() may have come first; then up() will make it live.
        if (this.#state === 'subscribing' && subscription.live) this.#goLive();
        else this.#state = 'down';
      },
      () => {
        if (this.#state === 'closed') return;
        this.#options.counters.subscribeFailures++;
        this.#state = 'waiting';
        const delayMs = backoffDelayMs(this.#attempt++, {
          ...this.#options.retry,
          random: this.#options.random,
        });
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          if (this.#state === 'waiting') this.#subscribe();
        }, delayMs);
        this.#timer.unref();
      },
    );
  }
}
