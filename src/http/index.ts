/**
 * `larder/http`: a shared HTTP response cache (RFC 9111) over a Larder cache,
 * for the framework adapters (`larder/express`, `larder/fastify`,
 * `larder/hono`) and the caching proxy. See docs/http.md.
 */
export type { Exchange, HeadOutcome, HttpRequest } from './exchange.js';
export { createHttpCache, type HttpCache, type Lookup } from './http-cache.js';
export type { HttpCacheOptions, ResolvedRoute, RouteOptions } from './http-cache-options.js';
export type { HttpAnswer } from './stored-response.js';
