/**
 * `larder/hono`: Larder's shared response cache as Hono middleware.
 * Importing this subpath loads `hono`; `import 'larder'` alone never does.
 * See docs/hono.md.
 */
export { createHttpCache, type HttpCache } from '../../http/http-cache.js';
export type { HttpCacheOptions, RouteOptions } from '../../http/http-cache-options.js';
export { cachePage, cachePages } from './cache-page.js';
export { neverCache } from './never-cache.js';
