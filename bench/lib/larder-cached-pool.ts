/**
 * `cachedPool` from `larder/sql`, with `createCache`, `redisStore` and `tieredStore`, all from
 * the same build of the library (./larder-shared.ts builds it unless run.ts
 * did; ./larder-sql.ts loads `larder/sql` from that build).
 */
import { createCache, larderBuild, redisStore, tieredStore } from './larder-shared.js';

export type { Cache } from './larder-shared.js';
export { type CachedPool, type CachedSqlOptions, cachedPool, type SqlStats } from './larder-sql.js';
export { createCache, larderBuild, redisStore, tieredStore };
