/**
 * The part of a node-redis client the Redis store uses. Structural on purpose:
 * a client from `createClient()` (node-redis 5 or 6, with or without modules)
 * fits it without casts, and tests can hand in a fake.
 */

/** One argument of a Redis command: text or raw bytes. */
export type RedisArgument = string | Buffer;

/** The per-command options the store passes to `sendCommand`. */
export interface RedisCommandOptions {
  /** How RESP types map to JS values (the store asks for blob strings as `Buffer`). */
  readonly typeMapping?: Readonly<Record<number, unknown>>;
  /** node-redis's own per-command timeout; the store sets 0 (off), see redis-store.ts. */
  readonly timeout?: number;
  /**
   * Commands sharing this id form one chain (a `MULTI` … `EXEC`): when the
   * connection drops partway, node-redis rejects the unsent rest of the chain
   * instead of sending it alone on the next connection.
   */
  readonly chainId?: symbol;
}

/** A connected (or connecting) node-redis client, as the store sees it. */
export interface RedisClientLike {
  /** True from `connect()` until `close()`/`destroy()`, also while reconnecting. */
  readonly isOpen: boolean;
  /** True while a connection is up and commands can be written. */
  readonly isReady: boolean;
  /** Send one raw command; node-redis batches all commands sent in one tick into one write. */
  sendCommand<T = unknown>(args: readonly RedisArgument[], options?: RedisCommandOptions): Promise<T>;
  /**
   * A view of the same connection whose commands all use `options`. The store
   * sets its options this way, once: per-call options cost node-redis an object
   * merge on every command.
   */
  withCommandOptions(options: RedisCommandOptions): RedisClientLike;
  /**
   * A new, unconnected client with the same options: the store's subscriber
   * connection for its bus, owned (connected and closed) by the store.
   */
  duplicate(): RedisSubscriberLike;
  connect(): Promise<unknown>;
  /** Close after pending replies arrive. */
  close(): Promise<unknown>;
  /** Close now, rejecting pending commands. */
  destroy(): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'end', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'end', listener: () => void): unknown;
}

/** A pub/sub message listener, as node-redis calls it (text mode). */
export type RedisMessageListener = (message: string, channel: string) => unknown;

/** The part of a node-redis client the store's bus uses on its subscriber connection. */
export interface RedisSubscriberLike {
  /** True from `connect()` until closed, destroyed, or the reconnect strategy gives up. */
  readonly isOpen: boolean;
  /** True while connected and every subscription is confirmed again (see redis-bus.ts). */
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  /** SUBSCRIBE; resolves once the server confirms it. */
  subscribe(channel: string, listener: RedisMessageListener): Promise<void>;
  /** UNSUBSCRIBE `listener`; the command is sent only when no other listener remains. */
  unsubscribe(channel: string, listener: RedisMessageListener): Promise<void>;
  /** Close now, rejecting pending commands. */
  destroy(): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'end' | 'reconnecting', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'end' | 'reconnecting', listener: () => void): unknown;
}
