/**
 * The public types of the cache API: options set once (`CacheOptions`), options
 * per call (`EntryOptions`), and the `Cache` interface itself.
 */
import type { CasToken } from './compare-and-set.js';
import type { ErrorCode, LarderError } from './errors.js';
import type { FragmentOptions, FragmentRender } from './fragment.js';
import type { FragmentVaryValue } from './python-str.js';
import type { Store } from './store.js';

/**
 * A length of time: a number of **milliseconds**, or a string with a unit
 * (`'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`).
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/**
 * How long an entry lives. A duration; `null` or `'forever'` for an entry that
 * never expires (always explicit); zero or negative means "do not store".
 */
export type Ttl = Duration | null | 'forever';

/** A pair of functions that turn values into bytes and back. */
export interface Serializer {
  /** One-byte id written into the envelope; 1 and 2 are taken by msgpack and json. */
  readonly id: number;
  /** A short name for errors and docs. */
  readonly name: string;
  /** Encode a value; throw for values the format cannot hold. */
  serialize(value: unknown): Uint8Array;
  /** Decode bytes written by `serialize`. */
  deserialize(bytes: Uint8Array): unknown;
}

/** Built-in compression algorithms (all from `node:zlib`). */
export type CompressionAlgorithm = 'gzip' | 'deflate' | 'brotli';

/** When and how values are compressed before they reach the store. */
export interface CompressionOptions {
  /** The algorithm; recorded in each entry's envelope, never guessed on read. */
  readonly algorithm: CompressionAlgorithm;
  /**
   * Serialized values at least this many bytes long are compressed.
   * @default 1024
   */
  readonly thresholdBytes?: number;
  /** The zlib level (or brotli quality). @default the algorithm's default */
  readonly level?: number;
  /**
   * A preset dictionary (deflate only): bytes typical of your values, such as
   * field names and common strings, so that small values compress too. Every
   * process reading the cache must use the same dictionary; its checksum is
   * stored in the envelope and a mismatch reads as a miss.
   */
  readonly dictionary?: Uint8Array;
}

/** What the cache does when the store fails. */
export type ErrorPolicy = 'degrade' | 'throw';

/** What the cache does with a key that memcached could not hold. */
export type KeyValidation = 'warn' | 'error' | 'off';

/** Circuit breaker settings. */
export interface BreakerOptions {
  /**
   * Consecutive store failures (timeouts, connection errors) that open the breaker.
   * @default 5
   */
  readonly failureThreshold?: number;
  /**
   * How long the breaker stays open before it turns half-open and lets one
   * probe call through.
   * @default '1s'
   */
  readonly halfOpenAfter?: Duration;
}

/**
 * Delays of a capped exponential backoff: from the first delay, doubling up
 * to the maximum. Used by the stores' reconnections and retries and by the
 * CDC listener.
 */
export interface BackoffOptions {
  /** The wait before the first retry; each further retry doubles it. */
  readonly initialDelay?: Duration;
  /** The longest wait between two attempts, however many have failed. */
  readonly maxDelay?: Duration;
}

/** A source of the current time, injectable for tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Builds the stored key from the user key, the prefix and the version (Django's KEY_FUNCTION). */
export type KeyFunction = (key: string, prefix: string, version: number) => string;

/** Receives store failures under the `degrade` policy, once per burst. */
export interface Logger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/**
 * A `logger` option as given: a `Logger` (an object with `warn`, such as
 * `console`), or a function that `warn` is called through (such as `console.warn`).
 */
export type LoggerOption = Logger | ((message: string, details?: Record<string, unknown>) => void);

/** Factory time limits of `getOrSet`. */
export interface FactoryTimeouts {
  /**
   * With a stale (graced) value at hand, wait this long for the factory, then
   * return the stale value and let the factory finish in the background.
   * @default 0 (serve the stale value at once: stale-while-revalidate)
   */
  readonly soft?: Duration;
  /**
   * Give up on the factory after this long: return the stale value if there is
   * one, else reject with `E_FACTORY_TIMEOUT`. The factory still finishes in the
   * background and its value is stored.
   * @default none
   */
  readonly hard?: Duration | null;
}

/** The cluster-wide lease that lets one process compute a missing value while the others wait. */
export interface LockOptions {
  /**
   * How long a lease lasts without renewal: how long a holder that crashed, or
   * a lease orphaned by a lost reply, keeps waiters from taking over. The holder
   * renews it every third of this while its factory runs, where the store can
   * (`renewLease`: memory, Redis, tiered); with a store that cannot, keep it
   * above your slowest factory.
   * @default 2_000 with renewal, 10_000 without
   */
  readonly ttl?: Duration;
  /**
   * How long a process waits for the holder's value before it calls the factory
   * itself (one call per process), so a waiter never hangs. A live holder keeps
   * its lease while it computes; raise this above your slowest factory if a
   * duplicate call per process costs more than the wait.
   * @default 3_000
   */
  readonly wait?: Duration;
}

/** What a factory is given. */
export interface FactoryContext<T> {
  /** The stale value being refreshed, when there is one. */
  readonly stale: T | undefined;
}

/** Per-call tier choice of a tiered store (ignored by other stores). */
export interface TierOptions {
  /** Read and write the local in-memory tier. @default true */
  readonly l1?: boolean;
  /** Read and write the shared tier (Redis). @default true */
  readonly l2?: boolean;
}

/** Options set once, when the cache is created. */
export interface CacheOptions {
  /** Where bytes live: `memoryStore()`, `redisStore()`, or any `Store`. */
  readonly store: Store;
  /**
   * Prepended to every key, so several caches can share a store and `clear()`
   * touches only this one's keys. Must be non-empty.
   * @default 'larder'
   */
  readonly prefix?: string;
  /**
   * Default key version: `prefix:version:key`. Bump it to orphan every entry.
   * @default 1
   */
  readonly version?: number;
  /**
   * TTL when a call gives none. Finite unless you say `'forever'`.
   * @default 300_000 (5 minutes, Django's default)
   */
  readonly defaultTtl?: Ttl;
  /**
   * How values become bytes: `'msgpack'`, `'json'`, or your own `Serializer`.
   * @default 'msgpack'
   */
  readonly serializer?: 'msgpack' | 'json' | Serializer;
  /**
   * Compress serialized values above a threshold, or `false` for never.
   * @default { algorithm: 'gzip', thresholdBytes: 1024 }
   */
  readonly compression?: CompressionOptions | false;
  /**
   * The largest value, in bytes once serialized (before compression), that the
   * cache writes or reads. Writing a larger value throws `E_SERIALIZE`; a stored
   * value that is, or would decompress to, more is a miss plus an `E_DECODE`
   * event, found out before it is inflated or decoded. Decoding is synchronous:
   * this bounds how long one read can block the event loop (and what a corrupt
   * or hostile entry can allocate). See docs/serialization.md.
   * @default 16_777_216 (16 MiB)
   */
  readonly maxValueBytes?: number;
  /**
   * `'degrade'`: a store failure is a miss for reads and a no-op for writes,
   * logged once per burst and counted. `'throw'`: rethrow it with its cause.
   * @default 'degrade'
   */
  readonly onError?: ErrorPolicy;
  /**
   * Longest wait for one store call (a `GET`, a `SET`…) before it fails with
   * `E_TIMEOUT` and counts toward the breaker. Not `getOrSet`'s factory
   * limits: those are `timeout`. See docs/resilience.md.
   * @default 100 (ms)
   */
  readonly storeTimeout?: Duration;
  /**
   * Longest wait for one invalidation (`delete`, `clear`, `invalidateTags`, a
   * lease release, a journal replay) before it counts as failed and is
   * journaled. Invalidations have their own breaker, which reads cannot open.
   * See docs/resilience.md.
   * @default storeTimeout
   */
  readonly invalidationTimeout?: Duration;
  /**
   * How many distinct keys, tags and prefixes whose invalidation could not
   * reach the store are kept for replay (a few hundred bytes each). Past that
   * they collapse into one clear of this cache's keys (logged), and the
   * process serves nothing from the store until it lands.
   * @default 100_000
   */
  readonly maxJournalMembers?: number;
  /** Circuit breaker settings, or `false` to turn it off. */
  readonly breaker?: BreakerOptions | false;
  /**
   * Keys longer than 250 code points or holding whitespace/control characters:
   * warn (once per process, code `LARDER_W_KEY`), throw `E_INVALID_KEY`, or allow.
   * @default 'warn'
   */
  readonly keyValidation?: KeyValidation;
  /** Build the stored key yourself. @default `${prefix}:${version}:${key}` */
  readonly keyFunction?: KeyFunction;
  /**
   * Where degraded failures are logged: an object with `warn(message, details)`
   * (`console`, a pino or winston logger) or a function `(message, details) => void`
   * (`console.warn`). Anything else is refused with `E_INVALID_OPTION`.
   * @default console.warn
   */
  readonly logger?: LoggerOption;
  /** Time source. @default Date */
  readonly clock?: Clock;
  /** Random numbers in [0, 1), for early refresh and generation seeds. @default Math.random */
  readonly random?: () => number;
  /**
   * How long an entry is kept past its TTL so that `getOrSet` can serve it while
   * refreshing it, or when the factory fails. `false`: no grace.
   * @default false
   */
  readonly grace?: Duration | false;
  /** Factory time limits of `getOrSet` (the store's own calls are bounded by `storeTimeout`). */
  readonly timeout?: FactoryTimeouts;
  /**
   * The cluster-wide lease of `getOrSet` (used when the store supports leases),
   * or `false` for single flight inside each process only.
   */
  readonly lock?: LockOptions | false;
  /**
   * After a failed refresh served a stale value, wait this long before the next
   * refresh attempt (every process sees the backoff).
   * @default 5_000
   */
  readonly failSafeBackoff?: Duration;
  /**
   * Probabilistic early refresh (XFetch): a hit close to expiry refreshes in
   * the background with a probability that grows with how long the value took to
   * compute. 0 turns it off; above 1 refreshes earlier.
   * @default 1
   */
  readonly beta?: number;
  /**
   * Called with every background refresh, so a serverless host can keep the
   * invocation alive until it finishes (Vercel's or Cloudflare's `waitUntil`).
   */
  readonly waitUntil?: (work: Promise<unknown>) => void;
}

/** Options per call. Anything omitted falls back to the cache's options. */
export interface EntryOptions {
  /** This entry's TTL. @default the cache's `defaultTtl` */
  readonly ttl?: Ttl;
  /** Key version for this call. @default the cache's `version` */
  readonly version?: number;
  /** Grace period past the TTL (see `CacheOptions.grace`). @default the cache's */
  readonly grace?: Duration | false;
  /**
   * Tags of the entry (at most 32): `invalidateTags([tag])` makes every entry
   * carrying it a miss, in every process, in O(1).
   */
  readonly tags?: readonly string[];
  /** Which tiers of a tiered store this call uses. @default both */
  readonly tiers?: TierOptions;
}

/**
 * What a computation read through the cache (see `Cache.collectDependencies`):
 * the tags of every tagged value it read, each with the generation it was read
 * under — before the data it guards. Pass it to `set` so the stored value
 * depends on them.
 */
export interface Dependencies {
  /** Distinct tags, in the order first read. */
  readonly tags: readonly string[];
  /** At the same index, each tag's generation as read before its data. */
  readonly generations: readonly number[];
  /**
   * False when something read could not be recorded (a nested value whose
   * generations are unknown, a read the cache did not answer, a counter that
   * moved during the computation, too many tags): `set` then stores nothing
   * and removes the key.
   */
  readonly complete: boolean;
}

/** Options of `set`. */
export interface SetOptions extends EntryOptions {
  /**
   * Dependencies collected by this cache's `collectDependencies`: the entry
   * carries their tags with the generations collected (not current ones), so
   * it is born invalid if any counter moved since they were read.
   */
  readonly dependencies?: Dependencies;
}

/** Options of `getOrSet`. */
export interface GetOrSetOptions extends EntryOptions {
  /** `false`: skip the cluster-wide lease for this call (single flight stays per process). */
  readonly lock?: boolean;
  /** Factory time limits. @default the cache's */
  readonly timeout?: FactoryTimeouts;
  /** Early refresh factor (see `CacheOptions.beta`). @default the cache's */
  readonly beta?: number;
  /**
   * Record what the factory reads through the cache (tagged hits, nested
   * `getOrSet`s, cached SQL queries) as the entry's dependencies, so that
   * invalidating any of their tags invalidates this entry too (docs/tags.md).
   * `false`: the entry depends on its own `tags` only.
   * @default true
   */
  readonly collectDependencies?: boolean;
}

/**
 * Options of a call that names a key but cannot be confined to one tier of a
 * tiered store (`ttl`, `touch`, `incr`, `deleteMany`, `incrVersion`...).
 */
export interface KeyOptions {
  /** Key version for this call. @default the cache's `version` */
  readonly version?: number;
}

/** Options of a read (`get`, `getMany`, `has`) or a `delete`. */
export interface ReadOptions extends KeyOptions {
  /** Which tiers of a tiered store this call uses. @default both */
  readonly tiers?: TierOptions;
}

/**
 * The outcome of an invalidation (`invalidateTags`, `clear`): `'stored'` when it
 * reached the store; `'journaled'` when the store failed, timed out or was
 * short-circuited — it is then replayed as soon as the store answers, and this
 * process reads what it covers as misses until then (docs/resilience.md).
 */
export type InvalidationResult = 'stored' | 'journaled';

/** The outcome of `add`: written, already present, or the store could not be asked. */
export type AddResult = 'stored' | 'exists' | 'unavailable';

/** What `gets` read: the value (`undefined` on a miss) and the token `compareAndSet` takes. */
export interface CasRead<T> {
  readonly value: T | undefined;
  readonly token: CasToken;
}

/** Counters since the cache was created. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly sets: number;
  readonly deletes: number;
  /** Store failures of any kind (timeouts, connection, OOM, decode...). */
  readonly errors: number;
  /** Operations answered without the store because the breaker was open. */
  readonly shortCircuited: number;
  /**
   * Store calls that timed out (`storeTimeout`) while this process was responsive:
   * they count toward the circuit breaker.
   */
  readonly timeouts: number;
  /**
   * Store calls that timed out because this process's own event loop was
   * blocked past their deadline (a long synchronous task): their callers still
   * got `E_TIMEOUT`, but they do not count toward the breaker. A steady rise
   * points at the application's CPU work, not at the store.
   */
  readonly stallTimeouts: number;
  /** `getOrSet` calls answered with a stale value (grace, fail-safe, timeouts). */
  readonly staleServed: number;
  /** Factory calls by `getOrSet` (misses, refreshes, early refreshes). */
  readonly factoryCalls: number;
  /** Factory calls that threw or timed out. */
  readonly factoryErrors: number;
  /** `getOrSet` calls that shared another call's factory run in this process. */
  readonly coalesced: number;
  /** `getOrSet` calls that waited for another process's lease. */
  readonly leaseWaits: number;
  /** Leases taken over after the holder's lease expired. */
  readonly leaseTakeovers: number;
  /** Invalidations in the journal: they did not reach the store yet and are being replayed. */
  readonly pendingInvalidations: number;
  /** `'closed'` (healthy), `'open'` (short-circuiting) or `'half-open'` (probing). */
  readonly breaker: 'closed' | 'open' | 'half-open';
  /** The breaker of invalidations (`delete`, `clear`, `invalidateTags`): they have their own, which reads cannot open. */
  readonly invalidationBreaker: 'closed' | 'open' | 'half-open';
}

/** What an `error` event carries. */
export interface CacheErrorEvent {
  /** The operation that failed, such as `get` or `set`. */
  readonly operation: string;
  readonly code: ErrorCode;
  readonly error: LarderError;
}

/** Events a cache emits; listeners never throw into the cache. */
export interface CacheEvents {
  error: CacheErrorEvent;
}

/** A cache. Every method is async; under `degrade` only counting methods throw store errors. */
export interface Cache {
  /** The prefix every key gets. */
  readonly prefix: string;
  /** The default key version. */
  readonly version: number;

  /** The value under `key`, or `undefined` on a miss. A stored `null` is returned as `null`. */
  get<T = unknown>(key: string, options?: ReadOptions): Promise<T | undefined>;
  /** The value under `key`, or `default` on a miss. */
  get<T = unknown, D = T>(key: string, options: ReadOptions & { readonly default: D }): Promise<T | D>;
  /**
   * Store `value`. A TTL of zero or less stores nothing and removes the key,
   * as do `dependencies` that are not `complete`.
   */
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  /** Store only if absent. A TTL of zero or less stores nothing but reports `'stored'`. */
  add(key: string, value: unknown, options?: EntryOptions): Promise<AddResult>;
  /**
   * The value under `key` (`undefined` on a miss) with a token naming the bytes
   * it was read from, for `compareAndSet`. Rejects when the store fails,
   * whatever `onError` says: a degraded read cannot be the base of a write.
   */
  gets<T = unknown>(key: string, options?: KeyOptions): Promise<CasRead<T>>;
  /**
   * Store `value` only if `key` still holds what `token` was read from (by
   * `gets`, on this cache): `'stored'`, or `'changed'` when another writer or
   * an expiry got there first (read again and retry). Atomic in the store;
   * rejects with `E_UNSUPPORTED` on a store without `compareAndSet` and, like
   * `gets`, when the store fails. The TTL must be positive.
   * @example
   * for (;;) {
   *   const { value, token } = await cache.gets<number[]>('cart');
   *   if ((await cache.compareAndSet('cart', [...(value ?? []), item], token)) === 'stored') break;
   * }
   */
  compareAndSet(
    key: string,
    value: unknown,
    token: CasToken,
    options?: EntryOptions,
  ): Promise<'stored' | 'changed'>;
  /**
   * Run `fn` in a fresh dependency scope and resolve its value with what it
   * read through the cache: every tagged hit and nested `getOrSet` (a cached
   * SQL query is one) inside records its tags and generations. Store the value
   * with `set(key, value, { dependencies })`. Inside another scope, what it
   * collected is recorded there too.
   */
  collectDependencies<T>(fn: () => T | Promise<T>): Promise<{ value: T; dependencies: Dependencies }>;
  /**
   * The value under `key`; on a miss, compute it (call `factory` if it is a
   * function) and store it. Concurrent calls for one key share one factory run
   * (in the process, and across processes through a lease in the store); a
   * stale value within its grace is served while one caller refreshes it; a
   * failing factory falls back to the stale value. When the key was absent the
   * value is `add`ed, so a writer that stored meanwhile wins.
   */
  getOrSet<T>(
    key: string,
    factory: T | ((context: FactoryContext<T>) => T | Promise<T>),
    options?: GetOrSetOptions,
  ): Promise<T>;
  /**
   * A rendered template fragment: the text `render` returns, cached under
   * Django's key for `name` and `varyOn` (`fragmentKey`) for `ttl` (`null` or
   * `'forever'`: no expiry, only when said). Through `getOrSet`, so concurrent
   * misses render once, with its leases, grace and tags. Throws
   * `E_INVALID_ARGUMENT` for an empty name, a vary value with no Python
   * `str()` or a render that returns no string; `E_INVALID_OPTION` for a bad TTL.
   * See docs/fragments.md.
   */
  fragment(
    name: string,
    varyOn: readonly FragmentVaryValue[],
    ttl: Ttl,
    render: FragmentRender,
    options?: FragmentOptions,
  ): Promise<string>;
  /**
   * Make every entry carrying any of `tags` a miss, in every process, in O(1).
   * Resolves `'stored'` once the invalidation is stored, or `'journaled'` when
   * the store failed: it is replayed once the store answers, and entries with
   * those tags read as misses here meanwhile (under `throw` it also rejects).
   */
  invalidateTags(tags: Iterable<string>): Promise<InvalidationResult>;
  /**
   * Replay every journaled invalidation now and wait until none is left or
   * `timeout` passes; resolves whether none is left.
   * @default timeout 5_000
   */
  flushInvalidations(timeout?: Duration): Promise<boolean>;
  /** Resolves when every background refresh and store has settled (journaled invalidations: `flushInvalidations`). */
  idle(): Promise<void>;
  /** The present keys only (stored nulls included), in a Map keyed by the keys you gave. */
  getMany<T = unknown>(keys: Iterable<string>, options?: ReadOptions): Promise<Map<string, T>>;
  /** Store many values; resolves the keys that were not stored. */
  setMany(
    entries:
      | ReadonlyMap<string, unknown>
      | Readonly<Record<string, unknown>>
      | Iterable<readonly [string, unknown]>,
    options?: EntryOptions,
  ): Promise<string[]>;
  /**
   * Remove `key`; resolves whether it existed, or `'journaled'` when the store
   * failed: the delete is replayed once the store answers, and this process
   * reads the key as a miss until then.
   */
  delete(key: string, options?: ReadOptions): Promise<boolean | 'journaled'>;
  /** Remove many keys; resolves how many existed, or `'journaled'` (see `delete`). */
  deleteMany(keys: Iterable<string>, options?: KeyOptions): Promise<number | 'journaled'>;
  /**
   * Whether `get(key)` would hit (a stored `null` counts; stale, invalidated
   * and corrupt entries do not): Django's `has_key`.
   */
  has(key: string, options?: ReadOptions): Promise<boolean>;
  /**
   * Atomically add `delta` (default 1) to an integer; keeps the TTL. Throws
   * `E_MISSING_KEY` where `get` would miss, `E_NOT_INTEGER` for another value,
   * `E_NOT_COUNTER` for an integer stored with grace or tags.
   */
  incr(key: string, delta?: number, options?: KeyOptions): Promise<number>;
  /** Atomically subtract `delta` (default 1). */
  decr(key: string, delta?: number, options?: KeyOptions): Promise<number>;
  /** Give a key that `get` would hit a new TTL (default: the cache's); resolves whether it did. */
  touch(key: string, ttl?: Ttl, options?: KeyOptions): Promise<boolean>;
  /**
   * Milliseconds until `get` stops hitting; `null` for an entry that never
   * expires; `undefined` where `get` misses.
   */
  ttl(key: string, options?: KeyOptions): Promise<number | null | undefined>;
  /** Move the entry to version + `delta` (keeping its TTL); resolves the new version. */
  incrVersion(key: string, delta?: number, options?: KeyOptions): Promise<number>;
  /** Move the entry to version - `delta`. */
  decrVersion(key: string, delta?: number, options?: KeyOptions): Promise<number>;
  /** Remove this cache's keys and nothing else (O(1) in a namespace); `'journaled'` as for `invalidateTags`. */
  clear(): Promise<InvalidationResult>;
  /** A view whose keys live apart from this cache's, with an O(1) `clear()`. */
  namespace(name: string): Cache;
  /** Listen to an event; returns a function that removes the listener. */
  on<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): () => void;
  /** Counters since creation. */
  stats(): CacheStats;
  /** Wait for background work (see `idle`), close the store, stop timers. Idempotent. */
  close(): Promise<void>;
}
