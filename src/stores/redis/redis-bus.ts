/**
 * The Redis store's bus: PUBLISH goes over the store's command connection, and
 * every channel and subscriber of the store shares one subscriber connection, a
 * `duplicate()` of the client that the store always owns.
 *
 * Why a connection of its own: under RESP2 a connection that has subscribed
 * accepts no other commands, and under RESP3, where it would, a burst of
 * messages would still queue ahead of cache reads on the same socket.
 */

import { LarderError } from '../../core/errors.js';
import type { Bus, BusHandlers, BusSubscription } from '../../core/store.js';
import { destroyNow } from './destroy-now.js';
import { ReconnectLoop, type RetryDelay } from './reconnect-loop.js';
import type { RedisSubscriberLike } from './redis-client-like.js';
import { type RedisChannel, RedisSubscription } from './redis-subscription.js';
import { toLarderError } from './to-larder-error.js';

/** What a `RedisBus` needs from its store. */
export interface RedisBusOptions {
  /** Create the subscriber connection, not yet connected (`client.duplicate()`). */
  readonly createSubscriber: () => RedisSubscriberLike;
  /**
   * The wait before reconnecting the subscriber (see reconnect-loop.ts), or
   * always `false` for one that node-redis reconnects by its own strategy.
   */
  readonly retryDelayMs: RetryDelay;
  /** Send one PUBLISH over the store's command connection. */
  readonly publish: (channel: string, message: string) => Promise<void>;
  /** Longest wait for `subscribe()` to be confirmed by the server. */
  readonly subscribeTimeoutMs: number;
  /** Hears the subscriber connection's errors. */
  readonly onConnectionError: (error: Error) => void;
}

function nothing(): void {}

/** A resettable wake-up: every waiter of the current round resumes on `fire()`. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = nothing;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

/** Publish/subscribe over Redis, for `redisStore().bus`. */
export class RedisBus implements Bus {
  readonly #options: RedisBusOptions;
  readonly #channels = new Map<string, RedisChannel>();
  #subscriber: RedisSubscriberLike | undefined;
  #reconnecting: ReconnectLoop | undefined;
  /** Between the subscriber's 'ready' and the first sign of loss. */
  #up = false;
  /** Why the subscriber stopped reconnecting for good (`reconnect: false`), once it has. */
  #gaveUp: { cause: unknown } | undefined;
  #closing: Promise<void> | undefined;
  /** Fired on every change a waiting `subscribe()` may be waiting for. */
  #changed = signal();

  constructor(options: RedisBusOptions) {
    this.#options = options;
  }

  publish(channel: string, message: string): Promise<void> {
    return this.#options.publish(channel, message);
  }

  async subscribe(channel: string, handlers: BusHandlers): Promise<BusSubscription> {
    if (this.#closing !== undefined) {
      throw new LarderError('E_CLOSED', 'redisStore.bus: the store is closed');
    }
    if (this.#gaveUp !== undefined) throw this.#gaveUpError();
    this.#connect();
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      entry = { name: channel, subscriptions: new Set(), subscribed: false, busy: false, refused: undefined };
      this.#channels.set(channel, entry);
    }
    const subscription = new RedisSubscription(entry, handlers, this.#release);
    entry.subscriptions.add(subscription);
    this.#sync(entry);
    try {
      await this.#confirmed(entry);
    } catch (error) {
      await subscription.close();
      throw error;
    }
    subscription.state = 'live';
    return subscription;
  }

  /** Drop every subscription (without calling its handlers) and the subscriber connection. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const entry of this.#channels.values()) {
      for (const subscription of entry.subscriptions) subscription.state = 'closed';
    }
    this.#channels.clear();
    this.#wake();
    // Ends the wait between two attempts now instead of keeping the process alive.
    this.#reconnecting?.stop();
    const subscriber = this.#subscriber;
    if (subscriber === undefined) return;
    subscriber.off('ready', this.#onReady);
    subscriber.off('reconnecting', this.#onLost);
    subscriber.off('end', this.#onLost);
    // Our 'error' listener stays: a socket may still report after destroy().
    // Nobody waits for a reply on this connection, so there is nothing to drain:
    // destroy() also drops an attempt under way and rejects commands in flight.
    // Between two attempts it is closed already.
    // An attempt under way may connect after destroy(): destroyNow closes it then too.
    destroyNow(subscriber);
  }

  #connect(): void {
    if (this.#subscriber !== undefined) return;
    let subscriber: RedisSubscriberLike;
    try {
      subscriber = this.#options.createSubscriber();
    } catch (error) {
      throw toLarderError(error);
    }
    // Without an 'error' listener node-redis would crash the process on the
    // first failed connection attempt.
    subscriber.on('error', this.#onError);
    subscriber.on('ready', this.#onReady);
    subscriber.on('reconnecting', this.#onLost);
    subscriber.on('end', this.#onLost);
    this.#subscriber = subscriber;
    this.#reconnecting = new ReconnectLoop(subscriber, {
      retryDelayMs: this.#options.retryDelayMs,
      onGaveUp: this.#onGaveUp,
    });
    this.#reconnecting.start();
  }

  /** Resolves once `entry` is subscribed on a live connection; rejects after the timeout. */
  async #confirmed(entry: RedisChannel): Promise<void> {
    if (this.#up && entry.subscribed && !entry.busy) return;
    const timeoutMs = this.#options.subscribeTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new LarderError(
            'E_STORE',
            `redisStore.bus: SUBSCRIBE to "${entry.name}" was not confirmed within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
    });
    try {
      while (!(this.#up && entry.subscribed && !entry.busy)) {
        if (this.#closing !== undefined) {
          throw new LarderError('E_CLOSED', 'redisStore.bus: the store closed while subscribing');
        }
        if (this.#gaveUp !== undefined) throw this.#gaveUpError();
        if (entry.refused !== undefined) throw entry.refused;
        await Promise.race([this.#changed.promise, expired]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Move the server toward what the channel's subscribers want, one command at
   * a time per channel. Two in flight could leave node-redis's listener map and
   * the server disagreeing: an UNSUBSCRIBE sent after a second SUBSCRIBE is
   * answered last and removes the listener that SUBSCRIBE had just added.
   */
  #sync(entry: RedisChannel): void {
    if (entry.busy || this.#closing !== undefined) return;
    const wanted = entry.subscriptions.size > 0;
    if (!wanted && !entry.subscribed) {
      if (this.#channels.get(entry.name) === entry) this.#channels.delete(entry.name);
      return;
    }
    if (wanted === entry.subscribed || entry.refused !== undefined) return;
    const subscriber = this.#subscriber;
    // While down, a command would wait in node-redis's queue or be dropped at
    // the next failed attempt; the next 'ready' syncs every channel instead.
    if (!this.#up || subscriber === undefined) return;
    entry.busy = true;
    let command: Promise<void>;
    try {
      command = wanted
        ? subscriber.subscribe(entry.name, this.#dispatch)
        : subscriber.unsubscribe(entry.name, this.#dispatch);
    } catch (error) {
      // #sync also runs inside node-redis's 'ready' event, where a throw would
      // escape into the client; it fails like a refused command instead.
      command = Promise.reject(error);
    }
    command.then(
      () => {
        entry.busy = false;
        entry.subscribed = wanted;
        this.#revive(entry);
        this.#sync(entry);
        this.#wake();
      },
      (error: unknown) => {
        entry.busy = false;
        // Lost mid-command: node-redis changed nothing, and 'ready' syncs again.
        // Refused by a connected server (an ACL without this channel): retrying
        // would only repeat it, so the subscribers waiting for it fail.
        if (this.#up && wanted) entry.refused = toLarderError(error);
        this.#wake();
      },
    );
  }

  /** Tell the subscribers that lost `entry` with the connection that it is live again. */
  #revive(entry: RedisChannel): void {
    if (!this.#up || !entry.subscribed || entry.busy) return;
    for (const subscription of entry.subscriptions) {
      if (subscription.state === 'down') subscription.up();
    }
  }

  #wake(): void {
    const changed = this.#changed;
    this.#changed = signal();
    changed.fire();
  }

  // One listener for every channel, so that node-redis never holds two of ours
  // for one channel (its sets would then deliver each message twice).
  readonly #dispatch = (message: string, channel: string): void => {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    for (const subscription of entry.subscriptions) subscription.deliver(message);
  };

  readonly #release = (subscription: RedisSubscription): void => {
    const entry = subscription.channel;
    entry.subscriptions.delete(subscription);
    this.#sync(entry);
  };

  /**
   * Why 'ready' proves every subscription live again: node-redis emits it on a
   * (re)connection only after its socket initiator resolved, and the initiator
   * awaits the SUBSCRIBE it sends first for every channel in its listener map;
   * that command resolves only once the server has confirmed each of those
   * channels (node-redis counts the confirmations against the channel list). If
   * the server refuses one, the initiator rejects and node-redis reconnects
   * instead of emitting 'ready'. Checked against @redis/client 6.3
   * (client/index.js `#initiateSocket`, client/socket.js `#connect`).
   */
  readonly #onReady = (): void => {
    if (this.#closing !== undefined) return;
    this.#up = true;
    for (const entry of this.#channels.values()) {
      this.#revive(entry);
      this.#sync(entry);
    }
    this.#wake();
  };

  // 'reconnecting' (node-redis retrying by its own strategy) and 'end' always
  // mean the connection is gone; 'error' does only when the client is no longer
  // ready (a failed PING, say, is not a loss). With the retries ours, a loss is
  // only an 'error', after which node-redis has closed the client until the
  // next attempt.
  readonly #onLost = (): void => {
    if (this.#closing !== undefined || !this.#up) return;
    this.#up = false;
    for (const entry of this.#channels.values()) {
      for (const subscription of entry.subscriptions) {
        if (subscription.state === 'live') subscription.down();
      }
    }
    this.#wake();
  };

  readonly #onError = (error: Error): void => {
    if (this.#closing !== undefined) return;
    // Whether a closed subscriber is retried is the reconnect loop's to say (onGaveUp).
    if (this.#subscriber !== undefined && !this.#subscriber.isReady) this.#onLost();
    try {
      this.#options.onConnectionError(error);
    } catch {
      // A throwing listener must not turn into an unhandled 'error' event.
    }
  };

  /** The subscriber will not be reconnected (`reconnect: false`): it never comes back. */
  readonly #onGaveUp = (error: unknown): void => {
    if (this.#closing !== undefined) return;
    this.#gaveUp ??= { cause: error };
    this.#onLost();
    this.#wake();
  };

  #gaveUpError(): LarderError {
    return new LarderError('E_STORE', 'redisStore.bus: the subscriber connection was lost and not retried', {
      cause: this.#gaveUp?.cause,
    });
  }
}
