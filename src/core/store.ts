/**
 * The store contract: what a backend must do. A store moves bytes under string
 * keys with a millisecond TTL; serialization, key rules, TTL defaults, resilience
 * and everything else live in core. Optional methods have core fallbacks built on
 * the required ones.
 */
import type { LarderError } from './errors.js';

/** A value or a promise of it; memory stores answer synchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Time to live handed to a store: a positive number of milliseconds, or `null`
 * for an entry that never expires. Core never passes 0 or a negative number.
 */
export type StoreTtlMs = number | null;

/** One entry of a batch write. */
export interface StoreEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly ttlMs: StoreTtlMs;
}

/** How a store reports what happened to a conditional write. */
export type StoreAddResult = 'stored' | 'exists';

/**
 * One write for `Store.writeAndPublish`: the arguments of the method named by
 * `op`. These are the writes a tiered store sends to its L2.
 */
export type StoreWrite =
  | { readonly op: 'set'; readonly key: string; readonly value: Uint8Array; readonly ttlMs: StoreTtlMs }
  | { readonly op: 'add'; readonly key: string; readonly value: Uint8Array; readonly ttlMs: StoreTtlMs }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'incrBy'; readonly key: string; readonly delta: number }
  | { readonly op: 'touch'; readonly key: string; readonly ttlMs: StoreTtlMs }
  | { readonly op: 'setMany'; readonly entries: readonly StoreEntry[] }
  | { readonly op: 'deleteMany'; readonly keys: readonly string[] }
  | {
      readonly op: 'compareAndSet';
      readonly key: string;
      readonly expected: Uint8Array | null;
      readonly value: Uint8Array;
      readonly ttlMs: StoreTtlMs;
    };

/** What each kind of `StoreWrite` resolves to: what the method of that name resolves to. */
export interface StoreWriteResults {
  readonly set: undefined;
  readonly add: StoreAddResult;
  readonly delete: boolean;
  readonly incrBy: number;
  readonly touch: boolean;
  readonly setMany: boolean[];
  readonly deleteMany: number;
  readonly compareAndSet: boolean;
}

/** A message for `Store.writeAndPublish` to publish on the store's own bus. */
export interface BusNotice {
  readonly channel: string;
  readonly message: string;
}

/**
 * Per-call hints that a layered store (tiered: L1 memory + L2 Redis) honours and
 * every other store ignores. Core passes them only when a call asked for them.
 */
export interface StoreHints {
  /** Neither read nor write the local (L1) tier for this call. */
  readonly skipL1?: boolean;
  /** Neither read nor write the shared (L2) tier for this call. */
  readonly skipL2?: boolean;
}

/** What a subscriber hears from a `Bus`. Handlers must not throw. */
export interface BusHandlers {
  /** A message arrived on the channel. */
  message(message: string): void;
  /**
   * The subscription was lost (connection down): messages published from now on
   * may never arrive. Called once per loss.
   */
  down(): void;
  /**
   * The subscription is live again after `down()`. Everything published while it
   * was down was missed, so a subscriber that keeps derived state must treat it
   * as suspect (a tiered store clears its L1).
   */
  up(): void;
}

/** A live subscription. */
export interface BusSubscription {
  /** True while messages are being received. */
  readonly live: boolean;
  /** Stop listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Publish/subscribe over the store's server (Redis pub/sub): how a tiered store
 * tells other processes to drop L1 entries, and how lease waiters are woken.
 * At-most-once delivery; `down`/`up` tell subscribers when they may have missed
 * something.
 */
export interface Bus {
  /** Send `message` to every current subscriber of `channel` (in every process). */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Subscribe to `channel`. Resolves once the subscription is live, or rejects
   * when the server cannot be reached (the caller then degrades).
   */
  subscribe(channel: string, handlers: BusHandlers): Promise<BusSubscription>;
}

/**
 * The minimum a backend implements, plus optional batch and atomic operations.
 * Keys reach the store fully formed (prefix, version and namespace applied);
 * a store never rewrites them except to hash keys longer than it can hold.
 */
export interface Store {
  /** A short name for logs and metrics, such as `memory` or `redis`. */
  readonly name: string;
  /**
   * True when `get` returns the very `Uint8Array` instance that `set` stored
   * (an in-process store). Core then decodes each stored buffer once and reuses
   * the frozen result.
   * @default false
   */
  readonly sharesBuffers?: boolean;
  /**
   * The longest key, in bytes of UTF-8, that the store holds; core hashes longer
   * keys down to fit. Redis keys may be 512 MB, so Redis leaves this unset.
   * @default unlimited
   */
  readonly maxKeyBytes?: number;

  /**
   * The bytes under `key`; `undefined` or `null` when absent or expired (`null`
   * lets a Redis store hand back its client's reply without another promise).
   */
  get(key: string, hints?: StoreHints): MaybePromise<Uint8Array | null | undefined>;
  /** Store `value` under `key`, replacing what was there. */
  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs, hints?: StoreHints): MaybePromise<void>;
  /** Store only if `key` is absent (atomically, where the backend allows). */
  add(key: string, value: Uint8Array, ttlMs: StoreTtlMs, hints?: StoreHints): MaybePromise<StoreAddResult>;
  /** Remove `key`; resolves `true` if it existed. */
  delete(key: string, hints?: StoreHints): MaybePromise<boolean>;
  /**
   * Remove every key that starts with `prefix`, and nothing else. Never a
   * database-wide flush.
   */
  clear(prefix: string): Promise<void>;

  /**
   * The keys that start with `prefix`, a page at a time (Redis: SCAN with MATCH, never KEYS).
   * A key written or deleted during the scan may or may not be listed; every key present for the whole scan is listed at least once (Redis SCAN may repeat a key: callers dedupe if they must).
   * A page holds at most `pageSize` keys (a store's own default without it) and is never empty;
   * expired keys are not listed.
   */
  scanKeys?(prefix: string, pageSize?: number): AsyncIterable<readonly string[]>;
  /** Fetch many keys at once, in order; absent keys are `undefined`. May answer synchronously (an in-process store). */
  getMany?(keys: readonly string[]): MaybePromise<Array<Uint8Array | undefined>>;
  /** Store many entries at once; resolves, per entry, whether it was stored. */
  setMany?(entries: readonly StoreEntry[]): Promise<boolean[]>;
  /** Remove many keys at once; resolves how many existed. */
  deleteMany?(keys: readonly string[]): Promise<number>;
  /** Whether `key` exists (without transferring its value). */
  has?(key: string): MaybePromise<boolean>;
  /** Set a new TTL on an existing key; resolves whether it existed. */
  touch?(key: string, ttlMs: StoreTtlMs): MaybePromise<boolean>;
  /**
   * Make an existing key live at least `ttlMs` from now (`null`: forever),
   * atomically: never shortens its TTL, never makes a persistent key expire,
   * never creates the key. Resolves whether it exists. Core keeps tag and
   * namespace counters alive with it; without it core reads `ttl` and calls
   * `touch` (a race there can only shorten a counter, which is safe).
   */
  extendTtl?(key: string, ttlMs: StoreTtlMs): MaybePromise<boolean>;
  /**
   * Milliseconds left for `key`: a number, `null` when it never expires,
   * `undefined` when it does not exist.
   */
  ttl?(key: string): MaybePromise<number | null | undefined>;
  /**
   * Atomically add `delta` to the decimal integer stored under `key`, keeping its
   * TTL. Rejects with `E_MISSING_KEY` when absent and `E_NOT_INTEGER` when the
   * stored bytes are not a decimal integer.
   */
  incrBy?(key: string, delta: number): MaybePromise<number>;
  /**
   * Store `value` under `key` only if the key holds exactly the bytes
   * `expected` now (`null`: only if it is absent), atomically; resolves
   * whether it stored. Core's `compareAndSet` (optimistic read-modify-write,
   * what sessions are written with) needs it and fails with `E_UNSUPPORTED`
   * without it: there is no safe fallback on the other methods.
   */
  compareAndSet?(
    key: string,
    expected: Uint8Array | null,
    value: Uint8Array,
    ttlMs: StoreTtlMs,
  ): MaybePromise<boolean>;
  /**
   * Turn an error the store let through unmapped (its client's own) into a
   * `LarderError` with the right code (`E_STORE_OOM`, `E_WRONG_TYPE`, ...). Core
   * calls it once per failure, off the hot path, so that methods can return
   * their client's promise untouched. Without it, unknown errors are `E_STORE`.
   */
  mapError?(error: unknown): LarderError;
  /**
   * Core calls this when a call to this store failed in a way that says the
   * store is unhealthy: `E_TIMEOUT` (not one caused by this process's own
   * event-loop stall) or `E_STORE`; never for answers from a healthy server
   * (`E_STORE_OOM`, `E_WRONG_TYPE`, ...). A layered store uses it to stop
   * trusting local state (a tiered store quarantines its L1). Called once per
   * failure, synchronously; it must not throw (core ignores it if it does).
   */
  noteFailure?(error: LarderError): void;
  /**
   * Take the lease `key` for `ttlMs` if nobody holds it (Redis `SET NX PX`),
   * recording `token` as the holder. Resolves whether it was taken. Core uses
   * leases for cluster-wide single flight; without this method single flight
   * stops at the process boundary.
   */
  acquireLease?(key: string, token: string, ttlMs: number): MaybePromise<boolean>;
  /**
   * Release the lease `key` only if `token` still holds it (compare-and-delete,
   * atomic). Resolves whether it was released.
   */
  releaseLease?(key: string, token: string): MaybePromise<boolean>;
  /**
   * Give the lease `key` a new TTL of `ttlMs`, only if `token` still holds it
   * (compare-and-expire, atomic). Resolves whether it was renewed. A holder
   * renews while its factory runs, so the TTL can be short — a crashed holder,
   * or a lease orphaned by a lost reply, blocks waiters for one short TTL —
   * without cutting off a slow factory. Without it, the TTL must outlast the
   * slowest factory.
   */
  renewLease?(key: string, token: string, ttlMs: number): MaybePromise<boolean>;
  /** Publish/subscribe over the store's server; absent for stores without one. */
  readonly bus?: Bus;
  /**
   * Run `write` and publish `notice` on `bus` as one atomic step (Redis: one
   * `MULTI`/`EXEC` or script): no process can see the write while the message
   * is still unsent, and it costs one round trip. Resolves and rejects as the
   * plain method would, except that a batch may be all or nothing (a refused
   * entry rejects it). The message goes out only when the write may have
   * changed something: not for an `add` that found the key, a `touch` of a
   * missing key, an `incrBy` that rejects, or an empty batch. A tiered store
   * uses it when its bus is this store's bus; without it, it writes, then
   * publishes.
   */
  writeAndPublish?<W extends StoreWrite>(write: W, notice: BusNotice): Promise<StoreWriteResults[W['op']]>;
  /** Release what the store created (connections, timers). Idempotent. */
  close?(): Promise<void>;
}
