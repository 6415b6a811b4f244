import { ClientClosedError, ClientOfflineError, createClient, RESP_TYPES } from 'redis';
import { LarderError } from '../../core/errors.js';
import type {
  Bus,
  BusNotice,
  Store,
  StoreAddResult,
  StoreEntry,
  StoreTtlMs,
  StoreWrite,
  StoreWriteResults,
} from '../../core/store.js';
import { checkDelta, leaseTtlRefusal } from './argument-checks.js';
import { destroyNow } from './destroy-now.js';
import {
  COMPARE_AND_SET,
  EXTEND_TTL,
  INCR_BY_EXISTING,
  PERSIST_EXISTING,
  RELEASE_LEASE,
  RENEW_LEASE,
  runScript,
} from './lua-scripts.js';
import { ReconnectLoop } from './reconnect-loop.js';
import { type BatchContext, clearPrefix, deleteMany, getMany, scanPrefix, setMany } from './redis-batch.js';
import { RedisBus } from './redis-bus.js';
import type { RedisClientLike, RedisCommandOptions } from './redis-client-like.js';
import {
  type RedisStoreOptions,
  resolveStoreOptions,
  retryDelayOf,
  toClientOptions,
} from './redis-store-options.js';
import { type WriteAndPublishContext, writeAndPublish } from './redis-write-and-publish.js';
import { compareAndSetArgs, px, setArgs } from './set-args.js';
import { toLarderError } from './to-larder-error.js';

/** A `Store` on Redis, with every optional operation implemented. */
export interface RedisStore extends Store {
  readonly name: 'redis';
  /**
   * The node-redis client in use (created by the store, or the one passed in).
   * One the store created does not reconnect by itself (its `reconnectStrategy`
   * is `false`): the store reconnects it, and stops when closed.
   */
  readonly client: RedisClientLike;
  /**
   * Resolves once a connection is up; rejects with `E_CLOSED` if the store closes
   * first, or with `E_STORE` and the last connection error after `readyTimeout`.
   */
  ready(): Promise<void>;
  /**
   * The bytes under `key`, or `null`. The Buffer is a view into the client's read
   * buffer (no copy): decode it, or copy it before keeping it for long, since a
   * kept view keeps that whole read buffer alive. Rejects with the client's own
   * error; `mapError` turns it into a LarderError (core does this for you).
   */
  get(key: string): Promise<Buffer | null>;
  mapError(error: unknown): LarderError;
  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs): Promise<void>;
  add(key: string, value: Uint8Array, ttlMs: StoreTtlMs): Promise<StoreAddResult>;
  delete(key: string): Promise<boolean>;
  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  setMany(entries: readonly StoreEntry[]): Promise<boolean[]>;
  deleteMany(keys: readonly string[]): Promise<number>;
  has(key: string): Promise<boolean>;
  /** SCAN with MATCH (see `Store.scanKeys`); an empty prefix is refused, as `clear` refuses it. */
  scanKeys(prefix: string, pageSize?: number): AsyncGenerator<string[]>;
  touch(key: string, ttlMs: StoreTtlMs): Promise<boolean>;
  extendTtl(key: string, ttlMs: StoreTtlMs): Promise<boolean>;
  ttl(key: string): Promise<number | null | undefined>;
  incrBy(key: string, delta: number): Promise<number>;
  compareAndSet(
    key: string,
    expected: Uint8Array | null,
    value: Uint8Array,
    ttlMs: StoreTtlMs,
  ): Promise<boolean>;
  acquireLease(key: string, token: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, token: string): Promise<boolean>;
  renewLease(key: string, token: string, ttlMs: number): Promise<boolean>;
  /**
   * Redis pub/sub. PUBLISH uses the store's connection; subscriptions share one
   * subscriber connection (a `duplicate()` of the client, opened on the first
   * `subscribe` and always closed by `close()`).
   */
  readonly bus: Bus;
  /**
   * The write and its `PUBLISH` in one `MULTI`/`EXEC` (set, setMany) or one Lua
   * script (add, incrBy and touch, which publish only when they changed the
   * key; delete and deleteMany, which publish even when nothing existed). In
   * Cluster a script's keys, or a transaction's, must share one hash slot: with
   * `splitBySlot`, a batch over several slots is written per slot, then
   * published, not atomically. An atomic `setMany` is all or nothing: a
   * refused entry rejects the batch and nothing is stored.
   */
  writeAndPublish<W extends StoreWrite>(write: W, notice: BusNotice): Promise<StoreWriteResults[W['op']]>;
  /**
   * Close the client if the store created it (a passed-in client stays open),
   * and the bus's subscriber connection in any case. Idempotent.
   */
  close(): Promise<void>;
}

// The options of every command the store sends: blob strings come back as
// Buffer (values are bytes), and node-redis's own per-command timeout is off.
// That timeout arms an AbortSignal timer per command, which costs about 3x in
// throughput; core enforces deadlines with one shared timer instead. They are
// bound once with withCommandOptions(): passing them per call made node-redis
// merge a differently shaped options object on every command, measured at
// ~40% fewer GETs per CPU-second.
const BYTES: RedisCommandOptions = Object.freeze({
  typeMapping: Object.freeze({ [RESP_TYPES.BLOB_STRING]: Buffer }),
  timeout: 0,
});

// For incrBy only: integer replies as decimal text. node-redis builds numbers
// as `n * 10 + byte - 48`, which rounds in the last ~57 integers below 2^53.
const EXACT_INTEGERS: RedisCommandOptions = Object.freeze({
  typeMapping: Object.freeze({ [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.NUMBER]: String }),
  timeout: 0,
});

// Shared reply handlers, so the hot path allocates no closure per call.
function nothing(): void {}
function isPositive(reply: unknown): boolean {
  return (reply as number) > 0;
}
function toAddResult(reply: string | null): StoreAddResult {
  return reply === null ? 'exists' : 'stored';
}
function isOk(reply: string | null): boolean {
  return reply !== null;
}
function toTtl(reply: number): number | null | undefined {
  // PTTL: -2 = no such key, -1 = no expiry.
  return reply === -2 ? undefined : reply === -1 ? null : reply;
}

class RedisByteStore implements RedisStore {
  readonly name = 'redis' as const;
  readonly #client: RedisClientLike;
  /** The same connection, with the store's command options bound. */
  readonly #commands: RedisClientLike;
  /** The same connection, answering integers as text (see EXACT_INTEGERS). */
  readonly #exactIntegers: RedisClientLike;
  readonly #batch: BatchContext;
  readonly #atomic: WriteAndPublishContext;
  readonly #owned: boolean;
  readonly #closeTimeoutMs: number;
  readonly #onConnectionError: ((error: LarderError) => void) | undefined;
  readonly #bus: RedisBus;
  readonly #readyTimeoutMs: number;
  /** Reconnects a client the store created; none for a passed-in client. */
  readonly #reconnecting: ReconnectLoop | undefined;
  /** The client's last connection error, until it is ready again: why commands are refused. */
  #connectionError: Error | undefined;
  /** Our client will not be reconnected (`reconnect: false` after a failure). */
  #gaveUp = false;
  #closing: Promise<void> | undefined;
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  /**
   * Settles when the first connection attempt does (connected, or failed once).
   * Until then commands wait for it instead of failing as "offline": a cache used
   * right after it is created must not lose its first writes to the connect race.
   * After it, a disconnected store fails fast (no offline queue).
   */
  #starting: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    const resolved = resolveStoreOptions(options);
    this.#closeTimeoutMs = resolved.closeTimeoutMs;
    this.#readyTimeoutMs = resolved.readyTimeoutMs;
    this.#onConnectionError = options.onConnectionError;
    this.#owned = options.client === undefined;
    this.#client =
      options.client ?? (createClient(toClientOptions(options, resolved)) as unknown as RedisClientLike);
    this.#commands = this.#client.withCommandOptions(BYTES);
    this.#exactIntegers = this.#client.withCommandOptions(EXACT_INTEGERS);
    this.#batch = {
      commands: this.#commands,
      splitBySlot: options.splitBySlot ?? false,
      scanCount: String(resolved.scanCount),
      mapError: (error) => this.#mapError(error),
    };
    this.#atomic = { batch: this.#batch, exactIntegers: this.#exactIntegers };
    // node-redis emits 'error' on every failed (re)connection attempt, and an
    // 'error' event without a listener kills the process. Ours is always there,
    // also on a passed-in client (and removed again by close()).
    this.#client.on('error', this.#onError);
    this.#client.on('ready', this.#onReady);
    // No connection until the first subscribe: most caches never subscribe.
    const retryDelayMs = this.#owned ? retryDelayOf(options) : undefined;
    this.#bus = new RedisBus({
      createSubscriber: () => this.#client.duplicate(),
      // Our client's duplicate has its options, node-redis's retries off, so
      // the bus reconnects it like the store does ours. A passed-in client's
      // duplicate retries by its owner's strategy; the bus only hears it stop.
      retryDelayMs: retryDelayMs ?? (() => false),
      publish: (channel, message) => this.#publish(channel, message),
      subscribeTimeoutMs: resolved.subscribeTimeoutMs,
      onConnectionError: this.#onError,
    });
    if (this.#client.isOpen && !this.#client.isReady) this.#starting = this.#firstAttempt();
    if (retryDelayMs === undefined) {
      this.#reconnecting = undefined;
    } else {
      // Connect in the background: creating a store never throws or waits
      // because Redis is down. The loop keeps retrying with the backoff until
      // it succeeds or the store is closed.
      this.#starting = this.#firstAttempt();
      this.#reconnecting = new ReconnectLoop(this.#client, { retryDelayMs, onGaveUp: this.#onGaveUp });
      this.#reconnecting.start();
    }
  }

  #firstAttempt(): Promise<void> {
    const client = this.#client;
    return new Promise<void>((resolve) => {
      const settle = (): void => {
        client.off('ready', settle);
        client.off('error', settle);
        this.#starting = undefined;
        resolve();
      };
      client.on('ready', settle);
      client.on('error', settle);
    });
  }

  get client(): RedisClientLike {
    return this.#client;
  }

  get bus(): Bus {
    return this.#bus;
  }

  readonly #onError = (error: Error): void => {
    this.#connectionError = error;
    if (this.#onConnectionError === undefined) return;
    try {
      this.#onConnectionError(toLarderError(error));
    } catch {
      // A throwing listener must not turn into an unhandled 'error' event.
    }
  };

  /** Our client will not be reconnected: `reconnect: false` after a failure. */
  readonly #onGaveUp = (error: unknown): void => {
    if (this.#closing !== undefined) return;
    this.#gaveUp = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    const failure = this.#mapError(error);
    for (const waiter of waiters) waiter.reject(failure);
  };

  readonly #onReady = (): void => {
    this.#connectionError = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
  };

  ready(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new LarderError('E_CLOSED', 'redisStore: the store is closed'));
    }
    if (this.#client.isReady) return Promise.resolve();
    if (this.#gaveUp) {
      // Our client stopped reconnecting (`reconnect: false`): it will never be ready.
      return Promise.reject(
        new LarderError('E_STORE', `redisStore: the connection was lost and not retried${this.#why()}`, {
          cause: this.#connectionError,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      // An unreachable Redis must not leave the caller waiting forever: after
      // the timeout, reject with the reason the last attempt failed.
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== entry);
        reject(
          new LarderError(
            'E_STORE',
            `redisStore: not connected within ${this.#readyTimeoutMs} ms${this.#why()}`,
            { cause: this.#connectionError },
          ),
        );
      }, this.#readyTimeoutMs);
      const entry = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.push(entry);
    });
  }

  /** `: <last connection error>`, or nothing when there was none. */
  #why(): string {
    return this.#connectionError === undefined ? '' : `: ${this.#connectionError.message}`;
  }

  get(key: string): Promise<Buffer | null> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.get(key));
    // The client's own promise, untouched: the hottest path gets no extra
    // promise. Absent is null (the contract allows it) and a failure is the
    // client's error, which core classifies through mapError().
    return this.#commands.sendCommand<Buffer | null>(['GET', key]);
  }

  mapError(error: unknown): LarderError {
    return this.#mapError(error);
  }

  #mapError(error: unknown): LarderError {
    // Between two attempts our client is closed (see reconnect-loop.ts), and
    // node-redis refuses commands with "The client is closed", as if someone
    // had closed the store. What it says of a client that is reconnecting is
    // the truth until the store is closed or gives up.
    if (
      error instanceof ClientClosedError &&
      this.#reconnecting !== undefined &&
      this.#closing === undefined &&
      !this.#gaveUp
    ) {
      return toLarderError(new ClientOfflineError(), this.#connectionError);
    }
    return toLarderError(error, this.#connectionError);
  }

  /** A `.then` rejection handler, bound once so the hot path allocates no closure per call. */
  readonly #rethrow = (error: unknown): never => {
    throw this.#mapError(error);
  };

  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs): Promise<void> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.set(key, value, ttlMs));
    return this.#commands.sendCommand(setArgs(key, value, ttlMs, false)).then(nothing, this.#rethrow);
  }

  add(key: string, value: Uint8Array, ttlMs: StoreTtlMs): Promise<StoreAddResult> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.add(key, value, ttlMs));
    return this.#commands
      .sendCommand<string | null>(setArgs(key, value, ttlMs, true))
      .then(toAddResult, this.#rethrow);
  }

  delete(key: string): Promise<boolean> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.delete(key));
    return this.#commands.sendCommand<number>(['UNLINK', key]).then(isPositive, this.#rethrow);
  }

  has(key: string): Promise<boolean> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.has(key));
    return this.#commands.sendCommand<number>(['EXISTS', key]).then(isPositive, this.#rethrow);
  }

  touch(key: string, ttlMs: StoreTtlMs): Promise<boolean> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.touch(key, ttlMs));
    const reply =
      ttlMs === null
        ? runScript(this.#commands, PERSIST_EXISTING, key, [])
        : this.#commands.sendCommand(['PEXPIRE', key, px(ttlMs)]);
    return reply.then(isPositive, this.#rethrow);
  }

  extendTtl(key: string, ttlMs: StoreTtlMs): Promise<boolean> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.extendTtl(key, ttlMs));
    return runScript(this.#commands, EXTEND_TTL, key, [ttlMs === null ? '' : px(ttlMs)]).then(
      isPositive,
      this.#rethrow,
    );
  }

  ttl(key: string): Promise<number | null | undefined> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.ttl(key));
    return this.#commands.sendCommand<number>(['PTTL', key]).then(toTtl, this.#rethrow);
  }

  async incrBy(key: string, delta: number): Promise<number> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.incrBy(key, delta));
    checkDelta('redisStore.incrBy', delta);
    let reply: unknown;
    try {
      reply = await runScript(this.#exactIntegers, INCR_BY_EXISTING, key, [String(delta)]);
    } catch (error) {
      throw this.#mapError(error);
    }
    // The script's "missing" sentinel is Lua false, which Redis sends as nil.
    if (reply === null || reply === undefined || reply === false) {
      throw new LarderError('E_MISSING_KEY', `redisStore.incrBy: key "${key}" does not exist`);
    }
    return Number(reply);
  }

  compareAndSet(
    key: string,
    expected: Uint8Array | null,
    value: Uint8Array,
    ttlMs: StoreTtlMs,
  ): Promise<boolean> {
    if (this.#starting !== undefined)
      return this.#starting.then(() => this.compareAndSet(key, expected, value, ttlMs));
    return runScript(
      this.#commands,
      COMPARE_AND_SET,
      key,
      compareAndSetArgs(key, expected, value, ttlMs),
    ).then(isPositive, this.#rethrow);
  }

  acquireLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    const refused = leaseTtlRefusal('redisStore.acquireLease', ttlMs);
    if (refused !== undefined) return Promise.reject(refused);
    if (this.#starting !== undefined) return this.#starting.then(() => this.acquireLease(key, token, ttlMs));
    return this.#commands
      .sendCommand<string | null>(['SET', key, token, 'NX', 'PX', px(ttlMs)])
      .then(isOk, this.#rethrow);
  }

  releaseLease(key: string, token: string): Promise<boolean> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.releaseLease(key, token));
    return runScript(this.#commands, RELEASE_LEASE, key, [token]).then(isPositive, this.#rethrow);
  }

  renewLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    const refused = leaseTtlRefusal('redisStore.renewLease', ttlMs);
    if (refused !== undefined) return Promise.reject(refused);
    if (this.#starting !== undefined) return this.#starting.then(() => this.renewLease(key, token, ttlMs));
    return runScript(this.#commands, RENEW_LEASE, key, [token, px(ttlMs)]).then(isPositive, this.#rethrow);
  }

  #publish(channel: string, message: string): Promise<void> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.#publish(channel, message));
    return this.#commands.sendCommand(['PUBLISH', channel, message]).then(nothing, this.#rethrow);
  }

  writeAndPublish<W extends StoreWrite>(write: W, notice: BusNotice): Promise<StoreWriteResults[W['op']]> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.writeAndPublish(write, notice));
    // The result matches `write.op` by construction (see redis-write-and-publish.ts).
    return writeAndPublish(this.#atomic, write, notice) as Promise<StoreWriteResults[W['op']]>;
  }

  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.getMany(keys));
    return getMany(this.#batch, keys);
  }

  setMany(entries: readonly StoreEntry[]): Promise<boolean[]> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.setMany(entries));
    return setMany(this.#batch, entries);
  }

  deleteMany(keys: readonly string[]): Promise<number> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.deleteMany(keys));
    return deleteMany(this.#batch, keys);
  }

  clear(prefix: string): Promise<void> {
    if (this.#starting !== undefined) return this.#starting.then(() => this.clear(prefix));
    return clearPrefix(this.#batch, prefix);
  }

  async *scanKeys(prefix: string, pageSize?: number): AsyncGenerator<string[]> {
    // Runs at the first page: that is when the first SCAN goes out.
    if (this.#starting !== undefined) await this.#starting;
    yield* scanPrefix(this.#batch, prefix, pageSize);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    // First, so that no new attempt starts while the bus closes; the wait
    // between two attempts ends here instead of keeping the process alive.
    this.#reconnecting?.stop();
    await this.#bus.close();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters)
      waiter.reject(new LarderError('E_CLOSED', 'redisStore: closed before connecting'));
    this.#client.off('ready', this.#onReady);
    if (!this.#owned) {
      // Not ours: leave it open, and take back the listener we added.
      this.#client.off('error', this.#onError);
      return;
    }
    // Our 'error' listener stays: a socket may still report after destroy().
    const client = this.#client;
    if (!client.isReady) {
      // An attempt under way (or between two): nothing pending can be answered; drop it,
      // and its socket too should it connect after all (see destroy-now.ts).
      destroyNow(client);
      return;
    }
    // Let pending replies arrive, but not forever: a frozen server never answers.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([client.close().catch(nothing), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (client.isOpen || client.isReady) client.destroy();
  }
}

/**
 * A Redis store on node-redis. Connects in the background (creating it never
 * throws because Redis is down; await `ready()` to wait for the connection),
 * fails fast while disconnected, maps every failure to a `LarderError`, and keeps
 * multi-key commands Cluster-safe by design.
 * @example
 * const store = redisStore({ url: 'rediss://app:secret@cache.internal:6380/0' });
 * const cache = createCache({ store });
 */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
  return new RedisByteStore(options);
}
