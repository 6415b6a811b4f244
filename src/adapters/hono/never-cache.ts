import type { Context, MiddlewareHandler } from 'hono';

/** The middleware this adapter made, by kind: a cache middleware hands on to a later one (see cache-page.ts). */
export const LARDER_HANDLERS = new WeakMap<object, 'cache' | 'never'>();

/** Requests whose response `neverCache()` marks; a cache middleware outside it does not even look up. */
const neverCached = new WeakSet<Context>();

/** Whether `neverCache()` is on this request's way (it runs before the handler). */
export function isNeverCached(c: Context): boolean {
  return neverCached.has(c);
}

/**
 * Middleware that marks the response `Cache-Control: no-store, private`:
 * Larder, browsers and every cache on the way keep no copy. It sets the field
 * after the handler ran, so the handler cannot undo it; a `cachePage` or
 * `cachePages` outside it skips the lookup, one inside it sees the field.
 * @example
 * app.get('/account', neverCache(), (c) => c.html(account(c)));
 */
export function neverCache(): MiddlewareHandler {
  const middleware: MiddlewareHandler = async function neverCacheMiddleware(c, next) {
    neverCached.add(c);
    await next();
    c.header('Cache-Control', 'no-store, private');
  };
  LARDER_HANDLERS.set(middleware, 'never');
  return middleware;
}
