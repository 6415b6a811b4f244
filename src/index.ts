/**
 * `larder`: the cache API, for application code. Importing it loads no Redis
 * client, database driver or web framework; stores come from their own subpaths
 * (`larder/memory`, `larder/redis`), and the contract a store implements from
 * `larder/store`.
 */

export { type BuildDictionaryOptions, buildDictionary } from './build-dictionary.js';
export type { ChannelPayloads } from './core/channel-payloads.js';
export type { CasToken } from './core/compare-and-set.js';
export { MAX_TTL_MS } from './core/duration.js';
export { type ErrorCode, isLarderError, LarderError } from './core/errors.js';
export { CHANNELS } from './core/events.js';
export type { FragmentOptions, FragmentRender } from './core/fragment.js';
export { fragmentKey } from './core/fragment-key.js';
export type { FragmentVaryValue } from './core/python-str.js';
export type {
  AddResult,
  BackoffOptions,
  BreakerOptions,
  Cache,
  CacheErrorEvent,
  CacheEvents,
  CacheOptions,
  CacheStats,
  CasRead,
  Clock,
  CompressionAlgorithm,
  CompressionOptions,
  Dependencies,
  Duration,
  EntryOptions,
  ErrorPolicy,
  FactoryContext,
  FactoryTimeouts,
  GetOrSetOptions,
  InvalidationResult,
  KeyFunction,
  KeyOptions,
  KeyValidation,
  LockOptions,
  Logger,
  LoggerOption,
  ReadOptions,
  Serializer,
  SetOptions,
  TierOptions,
  Ttl,
} from './core/types.js';
export { createCache } from './create-cache.js';
