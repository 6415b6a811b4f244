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
  get(key: string): MaybePromise<Uint8Array | null | undefined>;
  /** Store `value` under `key`, replacing what was there. */
  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs): MaybePromise<void>;
  /** Store only if `key` is absent (atomically, where the backend allows). */
  add(key: string, value: Uint8Array, ttlMs: StoreTtlMs): MaybePromise<StoreAddResult>;
  /** Remove `key`; resolves `true` if it existed. */
  delete(key: string): MaybePromise<boolean>;
  /**
   * Remove every key that starts with `prefix`, and nothing else. Never a
   * database-wide flush.
   */
  clear(prefix: string): Promise<void>;

  /** Fetch many keys at once, in order; absent keys are `undefined`. */
  getMany?(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  /** Store many entries at once; resolves, per entry, whether it was stored. */
  setMany?(entries: readonly StoreEntry[]): Promise<boolean[]>;
  /** Remove many keys at once; resolves how many existed. */
  deleteMany?(keys: readonly string[]): Promise<number>;
  /** Whether `key` exists (without transferring its value). */
  has?(key: string): MaybePromise<boolean>;
  /** Set a new TTL on an existing key; resolves whether it existed. */
  touch?(key: string, ttlMs: StoreTtlMs): MaybePromise<boolean>;
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
   * Turn an error the store let through unmapped (its client's own) into a
   * `LarderError` with the right code (`E_STORE_OOM`, `E_WRONG_TYPE`, ...). Core
   * calls it once per failure, off the hot path, so that methods can return
   * their client's promise untouched. Without it, unknown errors are `E_STORE`.
   */
  mapError?(error: unknown): LarderError;
  /** Release what the store created (connections, timers). Idempotent. */
  close?(): Promise<void>;
}
