/**
 * The cache: Django's cache contract over a byte store, through the fail-fast
 * guard and key scopes. Batch operations live in cache-batch.ts; shared state
 * and the failure policy in cache-context.ts.
 */
import { deleteMany, getMany, setMany } from './cache-batch.js';
import { decodeStored, handleFailure, type Shared } from './cache-context.js';
import { resolveTtl } from './duration.js';
import { encodeEntry, isRawInteger } from './envelope.js';
import { LarderError } from './errors.js';
import { KeyMemo } from './key-memo.js';
import { checkKey, fitKey } from './keys.js';
import { resolveEntry, resolveVersion } from './options.js';
import { type KeyScope, namespaceScope, rootScope } from './scope.js';
import type { AddResult, Cache, CacheEvents, CacheStats, EntryOptions, ReadOptions, Ttl } from './types.js';

/** User keys whose stored form is remembered, per generation of the memo. */
const KEY_MEMO_SIZE = 10_000;

/** The default of a read inside getOrSet: no stored value can be this. */
const MISSING: unique symbol = Symbol('missing');
const MISSING_DEFAULT = Object.freeze({ default: MISSING });

/** A cache (or a namespace view of one) over a shared store. */
export class LarderCache implements Cache {
  readonly prefix: string;
  readonly version: number;
  /** @internal shared with batch operations and namespace views */
  readonly shared: Shared;
  readonly #scope: KeyScope;
  /**
   * Stored keys of the root scope at the default version, by user key. Reusing
   * the same string also lets the engine reuse its hash in the store's lookup.
   * Bounded: emptied when full.
   */
  readonly #keyMemo: KeyMemo | undefined;

  constructor(shared: Shared, scope?: KeyScope, prefix?: string) {
    this.shared = shared;
    this.#scope = scope ?? rootScope(shared.options, shared.guard);
    this.prefix = prefix ?? shared.options.prefix;
    this.version = shared.options.version;
    this.#keyMemo = scope === undefined ? new KeyMemo(KEY_MEMO_SIZE) : undefined;
  }

  /** The stored key for a user key (a promise inside a namespace). */
  storedKey(key: string, version: number): string | Promise<string> {
    if (this.shared.closed) throw new LarderError('E_CLOSED', 'the cache is closed');
    const memo = this.#keyMemo;
    if (memo !== undefined && version === this.version) {
      const known = memo.get(key);
      if (known !== undefined) return known;
    }
    if (typeof key !== 'string')
      throw new LarderError('E_INVALID_KEY', `a cache key must be a string (got ${typeof key})`);
    const prefix = this.#scope.current();
    if (memo !== undefined && version === this.version && typeof prefix === 'string') {
      const stored = this.#finishKey(key, prefix, version);
      memo.set(key, stored);
      return stored;
    }
    return typeof prefix === 'string'
      ? this.#finishKey(key, prefix, version)
      : prefix.then((p) => this.#finishKey(key, p, version));
  }

  #finishKey(key: string, prefix: string, version: number): string {
    const { keyFunction, keyValidation } = this.shared.options;
    const stored = keyFunction(key, prefix, version);
    checkKey(stored, keyValidation);
    return fitKey(stored, prefix, version, this.shared.store.maxKeyBytes);
  }

  get<T = unknown>(key: string, options?: ReadOptions): Promise<T | undefined>;
  get<T = unknown, D = T>(key: string, options: ReadOptions & { readonly default: D }): Promise<T | D>;
  async get(key: string, options?: ReadOptions & { readonly default?: unknown }): Promise<unknown> {
    const { store, guard, counters } = this.shared;
    const pending = this.storedKey(key, resolveVersion(options, this.shared.options));
    const storedKey = typeof pending === 'string' ? pending : await pending;
    let bytes: Uint8Array | null | undefined;
    try {
      const result = guard.run('get', () => store.get(storedKey));
      bytes = result instanceof Promise ? await result : result;
    } catch (error) {
      handleFailure(this.shared, 'get', error);
      return options?.default;
    }
    const entry = bytes == null ? undefined : decodeStored(this.shared, bytes, 'get');
    if (entry === undefined) {
      counters.misses++;
      return options?.default;
    }
    counters.hits++;
    return entry.value;
  }

  async set(key: string, value: unknown, options?: EntryOptions): Promise<void> {
    const entry = resolveEntry(options, this.shared.options);
    const storedKey = await this.storedKey(key, entry.version);
    const { store, guard } = this.shared;
    if (entry.ttlMs === 0) {
      // Django: a zero or negative timeout stores nothing and removes the old value.
      await this.#write('set', () => guard.run('set', () => store.delete(storedKey)));
      return;
    }
    const bytes = encodeEntry(value, this.shared.options.codec);
    if (await this.#write('set', () => guard.run('set', () => store.set(storedKey, bytes, entry.ttlMs))))
      this.shared.counters.sets++;
  }

  async add(key: string, value: unknown, options?: EntryOptions): Promise<AddResult> {
    const entry = resolveEntry(options, this.shared.options);
    const storedKey = await this.storedKey(key, entry.version);
    const bytes = encodeEntry(value, this.shared.options.codec);
    // Django reports a zero-TTL add as stored although it keeps nothing.
    if (entry.ttlMs === 0) return 'stored';
    const { store, guard } = this.shared;
    try {
      const result = await guard.run('add', () => store.add(storedKey, bytes, entry.ttlMs));
      if (result === 'stored') this.shared.counters.sets++;
      return result;
    } catch (error) {
      handleFailure(this.shared, 'add', error);
      return 'unavailable';
    }
  }

  async getOrSet<T>(key: string, factory: T | (() => T | Promise<T>), options?: EntryOptions): Promise<T> {
    const version = options?.version;
    const readOptions =
      version === undefined ? MISSING_DEFAULT : { version, default: MISSING as typeof MISSING };
    const cached = await this.get<T, typeof MISSING>(key, readOptions);
    if (cached !== MISSING) return cached as T;
    const value = typeof factory === 'function' ? await (factory as () => T | Promise<T>)() : factory;
    const added = await this.add(key, value, options);
    if (added !== 'exists') return value;
    // Someone else stored first: theirs wins, as in Django (get → add → get).
    return this.get<T, T>(key, version === undefined ? { default: value } : { version, default: value });
  }

  getMany<T = unknown>(keys: Iterable<string>, options?: ReadOptions): Promise<Map<string, T>> {
    return getMany<T>(this, keys, resolveVersion(options, this.shared.options));
  }

  setMany(
    entries:
      | ReadonlyMap<string, unknown>
      | Readonly<Record<string, unknown>>
      | Iterable<readonly [string, unknown]>,
    options?: EntryOptions,
  ): Promise<string[]> {
    return setMany(this, entries, resolveEntry(options, this.shared.options));
  }

  deleteMany(keys: Iterable<string>, options?: ReadOptions): Promise<number> {
    return deleteMany(this, keys, resolveVersion(options, this.shared.options));
  }

  async delete(key: string, options?: ReadOptions): Promise<boolean> {
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    const { store, guard } = this.shared;
    try {
      const existed = await guard.run('delete', () => store.delete(storedKey));
      if (existed) this.shared.counters.deletes++;
      return existed;
    } catch (error) {
      handleFailure(this.shared, 'delete', error);
      return false;
    }
  }

  async has(key: string, options?: ReadOptions): Promise<boolean> {
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    const { store, guard } = this.shared;
    try {
      if (store.has !== undefined) return await guard.run('has', () => store.has?.(storedKey) ?? false);
      const bytes = await guard.run('has', () => store.get(storedKey));
      return bytes != null && decodeStored(this.shared, bytes, 'has') !== undefined;
    } catch (error) {
      handleFailure(this.shared, 'has', error);
      return false;
    }
  }

  incr(key: string, delta = 1, options?: ReadOptions): Promise<number> {
    return this.#incrBy(key, delta, options);
  }

  decr(key: string, delta = 1, options?: ReadOptions): Promise<number> {
    return this.#incrBy(key, -delta, options);
  }

  // Counting operations have no value to degrade to, so store failures throw here.
  async #incrBy(key: string, delta: number, options: ReadOptions | undefined): Promise<number> {
    if (!Number.isSafeInteger(delta))
      throw new LarderError('E_INVALID_OPTION', `delta must be an integer (got ${String(delta)})`);
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    const { store, guard } = this.shared;
    try {
      if (store.incrBy !== undefined)
        return await guard.run('incr', () => store.incrBy?.(storedKey, delta) ?? 0);
      return await this.#incrByReadWrite(storedKey, delta);
    } catch (error) {
      handleFailure(this.shared, 'incr', error, true);
      throw error;
    }
  }

  // For stores without an atomic increment: read, add, write back with the TTL left.
  async #incrByReadWrite(storedKey: string, delta: number): Promise<number> {
    const { store, guard } = this.shared;
    const bytes = await guard.run('incr', () => store.get(storedKey));
    if (bytes == null) throw new LarderError('E_MISSING_KEY', 'incr/decr: the key does not exist');
    const entry = decodeStored(this.shared, bytes, 'incr');
    if (entry === undefined || !isRawInteger(entry.value))
      throw new LarderError('E_NOT_INTEGER', 'incr/decr: the stored value is not an integer');
    const next = entry.value + delta;
    const ttlMs =
      store.ttl === undefined
        ? this.shared.options.defaultTtlMs
        : await guard.run('incr', () => store.ttl?.(storedKey));
    if (ttlMs === undefined) throw new LarderError('E_MISSING_KEY', 'incr/decr: the key expired');
    await guard.run('incr', () => store.set(storedKey, encodeEntry(next, this.shared.options.codec), ttlMs));
    return next;
  }

  async touch(key: string, ttl?: Ttl, options?: ReadOptions): Promise<boolean> {
    const ttlMs = resolveTtl(ttl, this.shared.options.defaultTtlMs);
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    const { store, guard } = this.shared;
    try {
      // A zero TTL expires the key at once, as Django's touch(key, 0) does.
      if (ttlMs === 0) return await guard.run('touch', () => store.delete(storedKey));
      if (store.touch !== undefined)
        return await guard.run('touch', () => store.touch?.(storedKey, ttlMs) ?? false);
      const bytes = await guard.run('touch', () => store.get(storedKey));
      if (bytes == null) return false;
      await guard.run('touch', () => store.set(storedKey, bytes, ttlMs));
      return true;
    } catch (error) {
      handleFailure(this.shared, 'touch', error);
      return false;
    }
  }

  async ttl(key: string, options?: ReadOptions): Promise<number | null | undefined> {
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    const { store, guard } = this.shared;
    if (store.ttl === undefined)
      throw new LarderError('E_STORE', `the ${store.name} store cannot report TTLs`);
    try {
      return await guard.run('ttl', () => store.ttl?.(storedKey));
    } catch (error) {
      handleFailure(this.shared, 'ttl', error);
      return undefined;
    }
  }

  async incrVersion(key: string, delta = 1, options?: ReadOptions): Promise<number> {
    const version = resolveVersion(options, this.shared.options);
    const next = version + delta;
    const [from, to] = await Promise.all([this.storedKey(key, version), this.storedKey(key, next)]);
    const { store, guard } = this.shared;
    try {
      const bytes = await guard.run('incrVersion', () => store.get(from));
      const ttlMs =
        store.ttl === undefined
          ? this.shared.options.defaultTtlMs
          : await guard.run('incrVersion', () => store.ttl?.(from));
      if (bytes == null || ttlMs === undefined)
        throw new LarderError(
          'E_MISSING_KEY',
          `incrVersion: key ${JSON.stringify(key)} does not exist at version ${version}`,
        );
      // Copy the bytes as they are (no decode), keeping the TTL left, then drop the old version.
      await guard.run('incrVersion', () => store.set(to, bytes, ttlMs));
      await guard.run('incrVersion', () => store.delete(from));
      return next;
    } catch (error) {
      handleFailure(this.shared, 'incrVersion', error, true);
      throw error;
    }
  }

  decrVersion(key: string, delta = 1, options?: ReadOptions): Promise<number> {
    return this.incrVersion(key, -delta, options);
  }

  async clear(): Promise<void> {
    if (this.shared.closed) throw new LarderError('E_CLOSED', 'the cache is closed');
    try {
      await this.#scope.clear();
    } catch (error) {
      handleFailure(this.shared, 'clear', error);
    }
  }

  namespace(name: string): Cache {
    if (typeof name !== 'string')
      throw new LarderError('E_INVALID_NAMESPACE', 'a namespace name must be a string');
    return new LarderCache(
      this.shared,
      namespaceScope(this.#scope, name, this.shared.options, this.shared.guard),
      `${this.prefix}/${name}`,
    );
  }

  on<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    return this.shared.events.on(event, listener);
  }

  stats(): CacheStats {
    return Object.freeze({ ...this.shared.counters, breaker: this.shared.guard.state });
  }

  async close(): Promise<void> {
    if (this.shared.closed) return;
    this.shared.closed = true;
    this.shared.guard.close();
    await this.shared.store.close?.();
  }

  /** Run a write under the error policy; resolves whether it reached the store. */
  async #write(operation: string, call: () => unknown): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      handleFailure(this.shared, operation, error);
      return false;
    }
  }
}
