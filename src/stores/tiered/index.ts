/** `larder/tiered`: an in-process L1 in front of a shared L2, coherent across processes. */
export type { HeartbeatOptions } from './heartbeat.js';
export type { L1State, TieredStats } from './tiered-stats.js';
export { type TieredStore, tieredStore } from './tiered-store.js';
export type { TieredStoreOptions } from './tiered-store-options.js';
