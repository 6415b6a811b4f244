/**
 * Publishing invalidations, with retry. A write has already reached L2 when its
 * invalidation is published, so a failed publish leaves other processes' L1
 * with the old value: the invalidation is kept in one merged backlog and
 * published again with backoff until it gets through. The backlog is bounded
 * (past `maxPendingKeys` it becomes "drop every L1 entry": coarser, never
 * lost) and is dropped once older than `maxAgeMs`, when every L1 copy it was
 * meant to remove has expired anyway.
 */

import { type BackoffDelays, backoffDelayMs } from '../../core/backoff.js';
import type { Clock } from '../../core/types.js';
import { encodeInvalidation, type Invalidation } from './invalidation-message.js';
import type { TieredCounters } from './tiered-stats.js';

/** What a publish queue needs. */
export interface PublishQueueOptions {
  /** Sends one message on the channel. */
  readonly publish: (message: string) => Promise<void>;
  /** This store's origin id, carried by every message. */
  readonly origin: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly retry: BackoffDelays;
  readonly maxPendingKeys: number;
  /** A backlog older than this is dropped unsent. */
  readonly maxAgeMs: number;
  readonly counters: TieredCounters;
}

interface Backlog {
  readonly keys: Set<string>;
  readonly prefixes: Set<string>;
  all: boolean;
  /** The earliest write it announces. */
  sentAt: number;
  /** Keys and prefixes merged in, collapsed ones included. */
  held: number;
}

/** The publishing side of a tiered store. */
export class PublishQueue {
  readonly #options: PublishQueueOptions;
  #backlog: Backlog | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #retrying = false;
  #closed = false;

  constructor(options: PublishQueueOptions) {
    this.#options = options;
  }

  /** Keys and prefixes written to L2 whose invalidation is not published yet. */
  get unpublishedKeys(): number {
    return this.#backlog?.held ?? 0;
  }

  /** When the oldest unpublished write finished, or `undefined`. */
  get unpublishedAt(): number | undefined {
    return this.#backlog?.sentAt;
  }

  /** Publish `invalidation` now; on failure keep it for retry. Never rejects. */
  async send(invalidation: Invalidation, sentAt: number): Promise<void> {
    if (this.#closed) return;
    const { publish, origin } = this.#options;
    try {
      await publish(encodeInvalidation({ ...invalidation, origin, sentAt }));
    } catch {
      this.#options.counters.publishFailures++;
      this.#hold(invalidation, sentAt);
      this.#schedule();
      return;
    }
    this.delivered();
  }

  /**
   * A message got through (here, or with a write through `writeAndPublish`):
   * the bus works again, so send the backlog now rather than when its timer
   * fires.
   */
  delivered(): void {
    if (this.#backlog === undefined || this.#retrying || this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempt = 0;
    void this.#retry();
  }

  /** Stop retrying after one last attempt of at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const backlog = this.#backlog;
    if (backlog === undefined || this.#retrying) return;
    this.#backlog = undefined;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([this.#options.publish(this.#encode(backlog)).catch(() => {}), timedOut]);
    } catch {
      // A publish that throws synchronously: nothing more to do on the way out.
    } finally {
      clearTimeout(timer);
    }
  }

  #encode(backlog: Backlog): string {
    return encodeInvalidation({
      origin: this.#options.origin,
      sentAt: backlog.sentAt,
      all: backlog.all,
      keys: [...backlog.keys],
      prefixes: [...backlog.prefixes],
    });
  }

  #hold(invalidation: Invalidation, sentAt: number): void {
    const backlog = this.#backlog ?? { keys: new Set(), prefixes: new Set(), all: false, sentAt, held: 0 };
    this.#backlog = backlog;
    backlog.sentAt = Math.min(backlog.sentAt, sentAt);
    backlog.held += invalidation.keys.length + invalidation.prefixes.length + (invalidation.all ? 1 : 0);
    if (backlog.all) return;
    if (invalidation.all) {
      this.#collapse(backlog);
      return;
    }
    for (const key of invalidation.keys) backlog.keys.add(key);
    for (const prefix of invalidation.prefixes) backlog.prefixes.add(prefix);
    if (backlog.keys.size + backlog.prefixes.size > this.#options.maxPendingKeys) {
      this.#options.counters.publishesCollapsed++;
      this.#collapse(backlog);
    }
  }

  #collapse(backlog: Backlog): void {
    backlog.all = true;
    backlog.keys.clear();
    backlog.prefixes.clear();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#retrying) return;
    const delayMs = backoffDelayMs(this.#attempt++, { ...this.#options.retry, random: this.#options.random });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#retry();
    }, delayMs);
    // Retrying must not keep a process alive that has nothing else to do.
    this.#timer.unref();
  }

  async #retry(): Promise<void> {
    const backlog = this.#backlog;
    if (backlog === undefined || this.#closed) return;
    this.#backlog = undefined;
    const { clock, maxAgeMs, counters, publish } = this.#options;
    if (clock.now() - backlog.sentAt > maxAgeMs) {
      counters.publishesExpired++;
      this.#attempt = 0;
      return;
    }
    this.#retrying = true;
    try {
      await publish(this.#encode(backlog));
      this.#attempt = 0;
    } catch {
      counters.publishFailures++;
      this.#merge(backlog);
    } finally {
      this.#retrying = false;
    }
    if (this.#backlog !== undefined) this.#schedule();
  }

  /** Put a backlog whose retry failed back, together with what failed meanwhile. */
  #merge(backlog: Backlog): void {
    const newer = this.#backlog;
    this.#backlog = backlog;
    if (newer === undefined) return;
    const held = backlog.held;
    this.#hold({ keys: [...newer.keys], prefixes: [...newer.prefixes], all: newer.all }, newer.sentAt);
    backlog.held = held + newer.held;
  }
}
