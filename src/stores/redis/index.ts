/**
 * `larder/redis`: the Redis store on node-redis. Importing this subpath loads the
 * `redis` package; `import 'larder'` alone never does.
 */
export type { ReconnectOptions } from './reconnect-strategy.js';
export type {
  RedisArgument,
  RedisClientLike,
  RedisCommandOptions,
  RedisMessageListener,
  RedisSubscriberLike,
} from './redis-client-like.js';
export { type RedisStore, redisStore } from './redis-store.js';
export type { RedisStoreOptions } from './redis-store-options.js';
