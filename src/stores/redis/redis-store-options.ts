import type { RedisClientOptions } from 'redis';
import type { LarderError } from '../../core/errors.js';
import { optionChecks } from '../../core/option-checks.js';
import type { Duration } from '../../core/types.js';
import { parseRedisUrl } from './parse-redis-url.js';
import type { RetryDelay } from './reconnect-loop.js';
import { type ReconnectOptions, reconnectDelays, reconnectStrategy } from './reconnect-strategy.js';
import type { RedisClientLike } from './redis-client-like.js';

/** Where the store connects when given neither `url` nor `client`. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Options of `redisStore()`. */
export interface RedisStoreOptions {
  /**
   * `redis[s]://[[username][:password]@]host[:port][/db]`: `rediss://` for TLS,
   * an ACL user and password, a database index. Not allowed together with `client`.
   * `undefined` means the default, so `url: process.env.REDIS_URL` works as it reads.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly url?: string | undefined;
  /**
   * An existing node-redis client to use instead of creating one. The store
   * never connects or closes a client it did not create: connect it yourself.
   * Its `keyPrefix` option is not applied (the store sends raw commands; use the
   * cache's `prefix`).
   */
  readonly client?: RedisClientLike;
  /**
   * Longest wait for one TCP (and TLS) connection attempt before it counts as failed.
   * @default '2s'
   */
  readonly connectTimeout?: Duration;
  /**
   * Longest wait of `ready()` for a connection before it rejects with `E_STORE`
   * and the last connection error (ECONNREFUSED, ENOTFOUND, …). The store keeps
   * reconnecting in the background either way.
   * @default connectTimeout
   */
  readonly readyTimeout?: Duration;
  /**
   * Backoff between reconnection attempts (capped exponential, with jitter), or
   * `false` to give up after the first loss — the store is then unusable. The
   * store runs the attempts itself, so `close()` ends a wait at once (see
   * docs/stores.md, "Exiting after `close()`"); it applies to a client the
   * store creates, and to the bus's subscriber connection of such a client.
   * @default { initialDelay: 50, maxDelay: '2s' }
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * Reject commands at once while disconnected instead of queueing them until
   * the connection returns, so a dead Redis costs microseconds per call rather
   * than a growing queue and a burst of stale writes on reconnect. With
   * `false`, commands queue only while a connection attempt is under way: the
   * store's client is closed between two attempts.
   * @default true
   */
  readonly disableOfflineQueue?: boolean;
  /**
   * Extra node-redis client options (TLS certificates under `socket`, `name`,
   * `pingInterval`, `RESP`...). The options above win over the same settings here.
   * A `socket.reconnectStrategy` is asked for the store's waits between attempts
   * when `reconnect` is not given; node-redis itself never retries.
   */
  readonly clientOptions?: RedisClientOptions;
  /**
   * Split multi-key commands (MGET, UNLINK) by Redis Cluster hash slot. Off for a
   * standalone server, where one MGET is cheaper; on for a cluster or a proxy
   * that enforces slots.
   * @default false
   */
  readonly splitBySlot?: boolean;
  /**
   * The `COUNT` hint of each `SCAN` step of `clear()`.
   * @default 1000
   */
  readonly scanCount?: number;
  /**
   * How long `close()` waits for pending replies before dropping the connection.
   * @default '1s'
   */
  readonly closeTimeout?: Duration;
  /**
   * Longest wait for `bus.subscribe()` to be confirmed by the server, opening
   * the subscriber connection included, before it rejects with `E_STORE`.
   * @default '2s'
   */
  readonly subscribeTimeout?: Duration;
  /**
   * Called with each connection-level error (refused, reset, TLS, auth) as the
   * client, or the bus's subscriber connection, reports it; operations fail with
   * their own errors either way.
   * @default ignore
   */
  readonly onConnectionError?: (error: LarderError) => void;
}

const check = optionChecks('redisStore');

/** The options that do not depend on creating a client, resolved (durations in ms). */
export interface ResolvedRedisStoreOptions {
  readonly connectTimeoutMs: number;
  readonly readyTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
  readonly scanCount: number;
}

/** Check the options that do not depend on creating a client, and resolve them once. */
export function resolveStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  if (options.client !== undefined && options.url !== undefined)
    throw check.invalid('url', 'left out when a client is given', options.url);
  if (options.clientOptions?.url !== undefined)
    throw check.invalid(
      'clientOptions.url',
      'left out (give the URL as option url)',
      options.clientOptions.url,
    );
  // Checked here too, so that a bad reconnect fails at creation whether or not the store makes the client.
  if (options.reconnect) reconnectDelays(options.reconnect);
  const connectTimeoutMs = check.duration('connectTimeout', options.connectTimeout, 2000, 1);
  return Object.freeze({
    connectTimeoutMs,
    readyTimeoutMs: check.duration('readyTimeout', options.readyTimeout, connectTimeoutMs, 1),
    closeTimeoutMs: check.duration('closeTimeout', options.closeTimeout, 1000, 1),
    subscribeTimeoutMs: check.duration('subscribeTimeout', options.subscribeTimeout, 2000, 1),
    scanCount: check.integer('scanCount', options.scanCount ?? 1000, 1),
  });
}

/**
 * The node-redis options for a client the store creates: the address and
 * credentials from `url`, a connect timeout, no offline queue, and whatever
 * `clientOptions` adds. node-redis itself never reconnects it
 * (`reconnectStrategy: false`): the store does, with `retryDelayOf(options)`
 * (see reconnect-loop.ts for why).
 */
export function toClientOptions(
  options: RedisStoreOptions,
  resolved: ResolvedRedisStoreOptions = resolveStoreOptions(options),
): RedisClientOptions {
  const extra = options.clientOptions ?? {};
  const url = parseRedisUrl(options.url ?? DEFAULT_REDIS_URL);
  const socket = {
    ...extra.socket,
    host: url.host,
    port: url.port,
    tls: url.tls,
    connectTimeout:
      options.connectTimeout === undefined && extra.socket?.connectTimeout !== undefined
        ? extra.socket.connectTimeout
        : resolved.connectTimeoutMs,
    reconnectStrategy: false,
  } as NonNullable<RedisClientOptions['socket']>;

  const client: RedisClientOptions = {
    ...extra,
    socket,
    disableOfflineQueue: options.disableOfflineQueue ?? extra.disableOfflineQueue ?? true,
  };
  if (url.username !== undefined) client.username = url.username;
  if (url.password !== undefined) client.password = url.password;
  if (url.database !== undefined) client.database = url.database;
  return client;
}

/** The node-redis type of `clientOptions.socket.reconnectStrategy`. */
type NodeRedisStrategy = NonNullable<NonNullable<RedisClientOptions['socket']>['reconnectStrategy']>;

/**
 * How long the store waits before reconnecting a client it created: the
 * `reconnect` backoff; `false` for `reconnect: false`; or, when `reconnect` is
 * not given, a node-redis `reconnectStrategy` from `clientOptions.socket`, read
 * as node-redis reads it (a number, `false`, or a function whose `false` or
 * `Error` means stop; one that throws gets the default backoff, as in node-redis).
 */
export function retryDelayOf(options: RedisStoreOptions): RetryDelay {
  if (options.reconnect === false) return never;
  const own = options.clientOptions?.socket?.reconnectStrategy;
  const backoff = reconnectStrategy(options.reconnect);
  if (options.reconnect !== undefined || own === undefined) return backoff;
  return fromNodeRedisStrategy(own, backoff);
}

function never(): false {
  return false;
}

function fromNodeRedisStrategy(
  strategy: NodeRedisStrategy,
  fallback: (retries: number) => number,
): RetryDelay {
  if (strategy === false) return never;
  if (typeof strategy === 'number') return () => strategy;
  return (retries, cause) => {
    let delayMs: number | false | Error;
    try {
      delayMs = strategy(retries, cause instanceof Error ? cause : new Error(String(cause)));
    } catch {
      return fallback(retries);
    }
    if (delayMs === false || delayMs instanceof Error) return false;
    return typeof delayMs === 'number' ? delayMs : fallback(retries);
  };
}
