/**
 * The pieces of the Redis bus's bookkeeping: a channel with its subscribers and
 * server state, and the handle each subscriber gets (see redis-bus.ts).
 */
import type { LarderError } from '../../core/errors.js';
import type { BusHandlers, BusSubscription } from '../../core/store.js';

/** Where a subscription stands. */
export type RedisSubscriptionState = 'pending' | 'live' | 'down' | 'closed';

/** One channel: its subscribers, and where the server stands on it. */
export interface RedisChannel {
  readonly name: string;
  readonly subscriptions: Set<RedisSubscription>;
  /**
   * SUBSCRIBE confirmed and no UNSUBSCRIBE confirmed since: the channel is in
   * node-redis's listener map, so node-redis subscribes it again on reconnect.
   */
  subscribed: boolean;
  /** A SUBSCRIBE or UNSUBSCRIBE is in flight (one at a time, see `RedisBus#sync`). */
  busy: boolean;
  /** The server refused SUBSCRIBE while connected; the waiting subscribers fail with it. */
  refused: LarderError | undefined;
}

/** One subscriber's handle; its handlers never throw into node-redis. */
export class RedisSubscription implements BusSubscription {
  state: RedisSubscriptionState = 'pending';
  readonly channel: RedisChannel;
  readonly #handlers: BusHandlers;
  readonly #onClose: (subscription: RedisSubscription) => void;

  constructor(
    channel: RedisChannel,
    handlers: BusHandlers,
    onClose: (subscription: RedisSubscription) => void,
  ) {
    this.channel = channel;
    this.#handlers = handlers;
    this.#onClose = onClose;
  }

  get live(): boolean {
    return this.state === 'live';
  }

  close(): Promise<void> {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.#onClose(this);
    }
    return Promise.resolve();
  }

  // Handlers are called inside node-redis's reply parser: one that throws would
  // reset the parser and drop the connection, so a throw is contained here and
  // the other subscribers still hear the message.
  deliver(message: string): void {
    if (this.state === 'closed') return;
    try {
      this.#handlers.message(message);
    } catch {}
  }

  down(): void {
    this.state = 'down';
    try {
      this.#handlers.down();
    } catch {}
  }

  up(): void {
    this.state = 'live';
    try {
      this.#handlers.up();
    } catch {}
  }
}
