/**
 * `larder/fastify`: Larder's shared response cache as a Fastify 5 plugin.
 * Importing this subpath loads `fastify-plugin` (and needs `fastify`);
 * `import 'larder'` alone never does. See docs/fastify.md.
 */
export { createHttpCache, type HttpCache } from '../../http/http-cache.js';
export type { HttpCacheOptions, RouteOptions } from '../../http/http-cache-options.js';
export { type FastifyLarderOptions, fastifyLarder, type LarderRouteConfig } from './fastify-larder.js';
export { neverCache } from './never-cache.js';
