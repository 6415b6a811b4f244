/**
 * The bus of the in-process store: a message published on one store instance
 * reaches that instance's subscribers, so that lease waiters are woken in a
 * memory-only cache. There is no connection to lose: subscriptions are live
 * from `subscribe` until closed, and `down`/`up` are never called.
 */
import type { Bus, BusHandlers, BusSubscription } from '../../core/store.js';

/** A `Bus` within one process, with `close()` for its store. */
export interface MemoryBus extends Bus {
  /** End every subscription, without calling its handlers. */
  close(): void;
}

class Subscription implements BusSubscription {
  #open = true;
  readonly #handlers: BusHandlers;
  readonly #onClose: (subscription: Subscription) => void;

  constructor(handlers: BusHandlers, onClose: (subscription: Subscription) => void) {
    this.#handlers = handlers;
    this.#onClose = onClose;
  }

  get live(): boolean {
    return this.#open;
  }

  close(): Promise<void> {
    if (this.#open) {
      this.#open = false;
      this.#onClose(this);
    }
    return Promise.resolve();
  }

  /** Ends the subscription without unregistering it (the bus drops its table). */
  end(): void {
    this.#open = false;
  }

  deliver(message: string): void {
    // Closed since the message was published: at-most-once allows dropping it,
    // and a closed subscriber must hear nothing more.
    if (!this.#open) return;
    try {
      this.#handlers.message(message);
    } catch {
      // A throwing handler must not keep the message from the others.
    }
  }
}

/**
 * Create an in-process bus. Delivery is asynchronous (a microtask after
 * `publish`), as over Redis: a publisher never runs its subscribers' handlers
 * inside its own call, which may be halfway through updating its state.
 * @example
 * const bus = memoryBus();
 * const subscription = await bus.subscribe('app#W', { message: console.log, down() {}, up() {} });
 * await bus.publish('app#W', 'released');
 */
export function memoryBus(): MemoryBus {
  const channels = new Map<string, Set<Subscription>>();

  function remove(channel: string, subscription: Subscription): void {
    const subscribers = channels.get(channel);
    if (subscribers === undefined) return;
    subscribers.delete(subscription);
    if (subscribers.size === 0) channels.delete(channel);
  }

  return {
    publish(channel, message) {
      const subscribers = channels.get(channel);
      if (subscribers !== undefined) {
        // Those subscribed when it was published: a later subscriber must not
        // hear a message sent before it subscribed.
        const recipients = [...subscribers];
        queueMicrotask(() => {
          for (const subscription of recipients) subscription.deliver(message);
        });
      }
      return Promise.resolve();
    },
    subscribe(channel, handlers) {
      const subscription = new Subscription(handlers, (closed) => remove(channel, closed));
      let subscribers = channels.get(channel);
      if (subscribers === undefined) {
        subscribers = new Set();
        channels.set(channel, subscribers);
      }
      subscribers.add(subscription);
      return Promise.resolve(subscription);
    },
    close() {
      for (const subscribers of channels.values()) {
        for (const subscription of subscribers) subscription.end();
      }
      channels.clear();
    },
  };
}
