/** The core factory: options resolved once, then a cache over the store. */
import { LarderCache } from './cache.js';
import { createShared } from './cache-context.js';
import { resolveOptions, type SerializerRegistry } from './options.js';
import type { Cache, CacheOptions } from './types.js';

/**
 * Create a cache with an explicit serializer registry. The package entry
 * (`larder`) supplies MessagePack; core itself knows only JSON, because core
 * imports nothing but Node built-ins.
 */
export function createCacheWith(options: CacheOptions, registry: SerializerRegistry): Cache {
  const resolved = resolveOptions(options, registry);
  return new LarderCache(createShared(resolved));
}
