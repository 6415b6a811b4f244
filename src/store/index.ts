/**
 * `larder/store`: the contract a store implements, for store authors. Application
 * code never needs these types: it passes `memoryStore()`, `redisStore()` or
 * `tieredStore()` to `createCache`. Prove a store with `larder/testing`.
 */
export type {
  Bus,
  BusHandlers,
  BusNotice,
  BusSubscription,
  MaybePromise,
  Store,
  StoreAddResult,
  StoreEntry,
  StoreHints,
  StoreTtlMs,
  StoreWrite,
  StoreWriteResults,
} from '../core/store.js';
