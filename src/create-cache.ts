/** The public factory of the `larder` entry: core plus the MessagePack serializer. */
import { createCacheWith } from './core/create-cache.js';
import type { Cache, CacheOptions } from './core/types.js';
import { msgpackSerializer } from './serializers/msgpack-serializer.js';

/**
 * Create a cache over a store. Defaults: prefix `larder`, version 1, a 5 minute
 * TTL, MessagePack, gzip above 1 KiB, `onError: 'degrade'`, a 100 ms operation
 * timeout and a circuit breaker (5 failures, 1 s open).
 *
 * @example
 * import { createCache } from 'larder';
 * import { redisStore } from 'larder/redis';
 *
 * const cache = createCache({ store: redisStore({ url: process.env.REDIS_URL }), prefix: 'shop' });
 * const user = await cache.getOrSet(`user:${id}`, () => db.findUser(id), { ttl: '10m' });
 */
export function createCache(options: CacheOptions): Cache {
  return createCacheWith(options, { msgpack: msgpackSerializer() });
}
