/**
 * Larder on Redis as a benchmark contender: `createCache` over `redisStore`, as
 * an app would configure it, reading with `await cache.get(key)` (value decoded)
 * entries that the same cache wrote with `cache.set`.
 */
import { deepStrictEqual } from 'node:assert/strict';
import type { Contender, Fixture } from './contender.js';
import { type Cache, type CacheOptions, createCache, redisStore } from './larder.js';

/** Options of a Larder contender. */
export interface LarderContenderOptions {
  readonly name: string;
  /** A suffix of the fixture prefix, so every contender writes its own keys. */
  readonly prefixSuffix: string;
  /** Cache options beyond store and prefix; `{}` is Larder's default configuration. */
  readonly cacheOptions?: Omit<CacheOptions, 'store' | 'prefix'>;
}

/** What a Larder contender counted during a comparison: any error is a miss in disguise. */
export interface LarderCounters {
  errors: number;
  firstError: string | undefined;
}

// Written with a TTL as a safety net: a crashed run leaves nothing behind for long.
const TTL_MS = 600_000;
const WRITE_BATCH = 1000;

/** A Larder cache on Redis; `counters` reports error events seen while it ran. */
export function larderContender(
  options: LarderContenderOptions,
): Contender & { readonly counters: LarderCounters } {
  let cache: Cache | undefined;
  const counters: LarderCounters = { errors: 0, firstError: undefined };
  return {
    name: options.name,
    counters,
    async setup(fixture: Fixture) {
      const store = redisStore({ url: fixture.redisUrl });
      // The store connects in the background and, with the offline queue off,
      // would turn writes issued before the connection is up into degraded no-ops.
      await store.ready();
      const created = createCache({
        ...options.cacheOptions,
        store,
        prefix: `${fixture.prefix}${options.prefixSuffix}`,
      });
      cache = created;
      created.on('error', ({ code, error }) => {
        counters.errors++;
        counters.firstError ??= `${code}: ${error.message}`;
      });
      const keys = fixture.profiles.map((profile) => `user:${profile.id}`);
      for (let start = 0; start < keys.length; start += WRITE_BATCH) {
        await Promise.all(
          keys
            .slice(start, start + WRITE_BATCH)
            .map((key, i) => created.set(key, fixture.profiles[start + i], { ttl: TTL_MS })),
        );
      }
      // Writes degrade silently on failure: prove that what we read is what we wrote.
      for (let i = 0; i < Math.min(100, keys.length); i++) {
        deepStrictEqual(await created.get(keys[i] as string), fixture.profiles[i], options.name);
      }
      if (counters.errors > 0) throw new Error(`${options.name}: setup failed: ${counters.firstError}`);
      return keys;
    },
    get(key) {
      return (cache as Cache).get(key);
    },
    async teardown() {
      // The fixture's prefix cleanup deletes the keys; close() closes the client the store created.
      await cache?.close();
    },
  };
}
