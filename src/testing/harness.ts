/**
 * The fixture of one conformance case: a fresh store, the caches the case
 * creates on it, raw access to the bytes under a stored key, the error events
 * the caches emitted, and cleanup that removes every key the case wrote.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../core/store.js';
import type { Cache, CacheErrorEvent, CacheOptions } from '../core/types.js';

/** The cache factory under test: `createCache` from `larder`, or your own wrapper of it. */
export type CacheFactory = (options: CacheOptions) => Cache;

/** Options of a cache a case creates; the store defaults to the case's store. */
export type CaseCacheOptions = Omit<CacheOptions, 'store'> & { readonly store?: Store };

/**
 * Settings every case cache starts from, unlike the library defaults on purpose:
 * the suite checks what a store does, so a store failure must surface as a
 * rejection with its cause (`onError: 'throw'`, no breaker to turn the next calls
 * into E_CIRCUIT_OPEN, a timeout generous enough for a 1 MiB value on a busy CI
 * machine), and a bad key in a case is a bug in the case (`keyValidation: 'error'`).
 */
const CASE_DEFAULTS = {
  onError: 'throw',
  storeTimeout: '5s',
  breaker: false,
  keyValidation: 'error',
} as const satisfies Partial<CacheOptions>;

/** Per-case state; cases receive it as `h`. */
export class Harness {
  /** The store created for this case. */
  readonly store: Store;
  /** This case's own prefix; every key the case writes starts with it. */
  readonly prefix: string;
  readonly #createCache: CacheFactory;
  readonly #caches: Cache[] = [];
  readonly #errors: CacheErrorEvent[] = [];

  constructor(store: Store, prefix: string, createCache: CacheFactory) {
    this.store = store;
    this.prefix = prefix;
    this.#createCache = createCache;
  }

  /** A cache on this case's store and prefix (both overridable), cleaned up after the case. */
  cache(options: CaseCacheOptions = {}): Cache {
    const cache = this.#createCache({
      ...CASE_DEFAULTS,
      prefix: this.prefix,
      ...options,
      store: options.store ?? this.store,
    });
    cache.on('error', (event) => this.#errors.push(event));
    this.#caches.push(cache);
    return cache;
  }

  /** A second prefix for this case: `prefix-label`, never a prefix of another case's. */
  otherPrefix(label: string): string {
    return `${this.prefix}-${label}`;
  }

  /** The stored key under the default key function: `prefix:version:key`. */
  storedKey(key: string, version = 1, prefix = this.prefix): string {
    return `${prefix}:${version}:${key}`;
  }

  /** The bytes the store holds under a stored key. */
  async raw(storedKey: string): Promise<Uint8Array | undefined> {
    return (await this.store.get(storedKey)) ?? undefined;
  }

  /** Write bytes straight to the store, bypassing the cache (foreign or corrupt entries). */
  async writeRaw(storedKey: string, bytes: Uint8Array, ttlMs = 60_000): Promise<void> {
    await this.store.set(storedKey, bytes, ttlMs);
  }

  /** A real wait: stores keep real clocks. Cases keep these few and short. */
  wait(ms: number): Promise<void> {
    return sleep(ms);
  }

  /** The error events emitted since the last call, removed from the pending list. */
  takeErrors(): CacheErrorEvent[] {
    return this.#errors.splice(0);
  }

  /**
   * Remove every key the case wrote, then close the caches and the store.
   * Clearing comes first because closing one cache closes the store they share.
   */
  async cleanup(): Promise<void> {
    for (const cache of this.#caches) {
      try {
        await cache.clear();
      } catch (error) {
        // A case that closed its cache cleared it first (see the `close` case).
        if ((error as { code?: unknown } | null)?.code !== 'E_CLOSED') throw error;
      }
    }
    for (const cache of this.#caches) await cache.close();
    await this.store.close?.();
  }

  /** Fail when a cache emitted an error event the case did not take: a store failure it swallowed. */
  assertNoStrayErrors(): void {
    const stray = this.takeErrors().map(
      (event) => `${event.operation}: ${event.code}: ${event.error.message}`,
    );
    assert.deepEqual(stray, [], 'the caches emitted error events this case did not expect');
  }
}
