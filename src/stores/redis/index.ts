/**
 * `larder/redis`: the Redis store on node-redis. Importing this subpath loads the
 * `redis` package; `import 'larder'` alone never does.
 */
export { escapeGlob } from './escape-glob.js';
export { groupBySlot, keySlot, type SlotGroup } from './key-slot.js';
export { parseRedisUrl, type RedisUrlParts } from './parse-redis-url.js';
export { type ReconnectOptions, reconnectStrategy } from './reconnect-strategy.js';
export type {
  RedisArgument,
  RedisClientLike,
  RedisCommandOptions,
  RedisMessageListener,
  RedisSubscriberLike,
} from './redis-client-like.js';
export { type RedisStore, redisStore } from './redis-store.js';
export { DEFAULT_REDIS_URL, type RedisStoreOptions } from './redis-store-options.js';
