/**
 * Peer libraries configured as their documentation shows for a tiered or
 * Redis-backed cache, for the freshness benchmarks: bentocache (L1 memory, L2
 * Redis, Redis bus), cacheable (memory in front of @keyv/redis) and
 * cache-manager (one @keyv/redis store). Every one writes only keys that
 * start with the prefix it is given, so the run's cleanup (SCAN + UNLINK of
 * that prefix) removes all of them; none of their own `clear()` is ever called.
 */
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Cacheable } from 'cacheable';
import { Keyv } from 'keyv';

/** ioredis connection options from a `redis://` URL (bentocache takes ioredis options). */
function ioredisOptions(redisUrl: string) {
  const url = new URL(redisUrl);
  const db = Number(url.pathname.slice(1) || '0');
  return {
    host: url.hostname,
    port: Number(url.port || '6379'),
    db,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
  };
}

/** How to build a bentocache. */
export interface BentoOptions {
  readonly redisUrl: string;
  /** Every Redis key it writes starts with this. */
  readonly prefix: string;
  /**
   * bentocache's L1 `serialize` option: `true` (its default) keeps JSON text in
   * L1 and parses it on every hit; `false` keeps the object itself.
   */
  readonly serializeL1: boolean;
  /** L1 capacity in entries. */
  readonly maxItems: number;
}

/** A bentocache with an L1 memory layer, an L2 Redis layer and the Redis bus. */
export function bentoTiered(options: BentoOptions) {
  const connection = ioredisOptions(options.redisUrl);
  return new BentoCache({
    default: 'tiered',
    // bentocache joins its prefix and the key with ':'; the prefixes here end with ':'.
    prefix: options.prefix.replace(/:$/, ''),
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: options.maxItems, serialize: options.serializeL1 }))
        .useL2Layer(redisDriver({ connection }))
        .useBus(redisBusDriver({ connection })),
    },
  });
}

/** The bentocache type built by `bentoTiered`. */
export type BentoTiered = ReturnType<typeof bentoTiered>;

/** A Keyv over @keyv/redis whose keys are `<namespace>::<key>`. */
function keyvRedis(redisUrl: string, namespace: string): Keyv {
  return new Keyv({ store: new KeyvRedis(redisUrl), namespace });
}

/**
 * cacheable with its default primary (an in-memory Keyv over CacheableMemory)
 * and @keyv/redis as the secondary, both under `namespace`.
 */
export function cacheableTiered(redisUrl: string, namespace: string): Cacheable {
  return new Cacheable({ secondary: keyvRedis(redisUrl, namespace), namespace });
}

/** cache-manager 7 with one store, @keyv/redis under `namespace`. */
export function cacheManagerRedis(redisUrl: string, namespace: string) {
  return createCacheManager({ stores: [keyvRedis(redisUrl, namespace)] });
}

/** The cache-manager type built by `cacheManagerRedis`. */
export type CacheManagerRedis = ReturnType<typeof cacheManagerRedis>;
