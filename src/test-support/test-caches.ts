/**
 * Caches on the shared Redis for a test file, each under its own prefix, all
 * closed and their keys removed (SCAN + UNLINK) by `closeAll`.
 */
import { createClient } from 'redis';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/redis-store.js';
import { redisUrl, uniquePrefix } from './env.js';

/** The caches of one test file. */
export interface TestCaches {
  /** A new connected cache; its store timeout is generous: a slowed Redis is not what such tests test. */
  newCache(): Promise<Cache>;
  closeAll(): Promise<void>;
}

/** Caches whose prefixes start with `name`. */
export function testCaches(name: string): TestCaches {
  const prefixes: string[] = [];
  const caches: Cache[] = [];
  return {
    async newCache() {
      const prefix = uniquePrefix(name);
      prefixes.push(prefix);
      const store = redisStore({ url: redisUrl() });
      await store.ready?.();
      const cache = createCache({ store, prefix, storeTimeout: '2s', logger: { warn: () => {} } });
      caches.push(cache);
      return cache;
    },
    async closeAll() {
      await Promise.all(caches.map((cache) => cache.close()));
      const client = createClient({ url: redisUrl() });
      await client.connect();
      for (const prefix of prefixes)
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
          if (keys.length > 0) await client.unlink(keys);
      await client.close();
    },
  };
}
