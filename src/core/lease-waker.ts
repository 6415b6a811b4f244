/**
 * Wakes processes waiting for another process's lease. The holder publishes
 * the lease key on the store's bus once it has stored the value; a waiter
 * sleeps until that message or a short poll, whichever comes first, so a lost
 * message (the bus is at-most-once) costs a poll interval, never a hang.
 */
import type { Bus, BusSubscription } from './store.js';
import type { Clock } from './types.js';

/** After a failed subscribe, waiters poll only, and try the bus again after this long. */
const RESUBSCRIBE_AFTER_MS = 5_000;

/** Lease wake-ups of one cache, over one channel. */
export class LeaseWaker {
  readonly #bus: Bus | undefined;
  readonly #channel: string;
  readonly #clock: Clock;
  readonly #waiters = new Map<string, Set<() => void>>();
  #subscription: Promise<BusSubscription | undefined> | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(bus: Bus | undefined, channel: string, clock: Clock) {
    this.#bus = bus;
    this.#channel = channel;
    this.#clock = clock;
  }

  #live = false;

  /** True when wake-ups arrive by message (waiters may poll less often). */
  get live(): boolean {
    return this.#live;
  }

  /** Resolves when `leaseKey` is announced as released, or after `ms`. */
  wait(leaseKey: string, ms: number): Promise<void> {
    this.#subscribe();
    return new Promise((resolve) => {
      const set = this.#waiters.get(leaseKey) ?? new Set();
      this.#waiters.set(leaseKey, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#waiters.get(leaseKey) === set) this.#waiters.delete(leaseKey);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /** Announce that `leaseKey` was released (fire and forget: waiters poll anyway). */
  notify(leaseKey: string): void {
    // Local waiters of another cache over the same store hear it through the bus;
    // ours are woken at once.
    this.#wake(leaseKey);
    if (this.#bus === undefined || this.#closed) return;
    this.#bus.publish(this.#channel, leaseKey).catch(() => {
      // At-most-once by design: a waiter that misses this polls.
    });
  }

  /** Stop listening. */
  async close(): Promise<void> {
    this.#closed = true;
    const subscription = await this.#subscription?.catch(() => undefined);
    await subscription?.close();
  }

  #wake(leaseKey: string): void {
    const set = this.#waiters.get(leaseKey);
    if (set === undefined) return;
    for (const done of [...set]) done();
  }

  #subscribe(): void {
    if (this.#bus === undefined || this.#closed) return;
    if (this.#subscription !== undefined) return;
    if (this.#clock.now() - this.#failedAt < RESUBSCRIBE_AFTER_MS) return;
    this.#subscription = this.#bus
      .subscribe(this.#channel, {
        message: (leaseKey) => this.#wake(leaseKey),
        down: () => {
          this.#live = false;
        },
        up: () => {
          this.#live = true;
        },
      })
      .then(
        (subscription) => {
          this.#live = subscription.live;
          if (this.#closed) void subscription.close();
          return subscription;
        },
        () => {
          this.#failedAt = this.#clock.now();
          this.#subscription = undefined;
          return undefined;
        },
      );
  }
}
