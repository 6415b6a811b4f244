/**
 * `larder/hono`: the shared response cache (src/http) as Hono middleware.
 * Only translation lives here: Hono's request and `c.res` to the engine's
 * plain data and back. See docs/hono.md for the middleware order.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { HttpRequest } from '../../http/exchange.js';
import type { HttpCache } from '../../http/http-cache.js';
import type { ResolvedRoute, RouteOptions } from '../../http/http-cache-options.js';
import { isUnsafeMethod } from '../../http/rules/invalidation.js';
import { watchCookieReads } from './cookie-reads.js';
import { isNeverCached, LARDER_HANDLERS } from './never-cache.js';
import { answerResponse, fieldsOf, teeBody } from './response-body.js';

const READS = new Set(['GET', 'HEAD']);

/**
 * Middleware that caches the responses of the route it is on (GET and HEAD;
 * an unsafe method through it invalidates the URL). `route` overrides the
 * cache's per-route options (`ttl`, `vary`, `tags`...), validated here.
 * @example
 * app.get('/products', cachePage(pages, { ttl: '5m', tags: ['products'] }), listProducts);
 */
export function cachePage(http: HttpCache, route?: RouteOptions): MiddlewareHandler {
  return larderMiddleware(http, route === undefined ? undefined : http.route(route));
}

/**
 * Middleware for a whole app or path (`app.use(cachePages(pages))`): caches
 * every GET and HEAD response under it with the cache's options, and lets
 * unsafe methods invalidate their URLs. A `cachePage` or `neverCache` on the
 * route itself takes over for that route.
 * @example
 * app.use(cachePages(pages));
 */
export function cachePages(http: HttpCache): MiddlewareHandler {
  return larderMiddleware(http, undefined);
}

function larderMiddleware(http: HttpCache, route: ResolvedRoute | undefined): MiddlewareHandler {
  const middleware: MiddlewareHandler = async function larderCache(c, next) {
    const method = c.req.method;
    const reads = READS.has(method);
    if ((!reads && !isUnsafeMethod(method)) || (reads && isNeverCached(c)) || handedOn(c, reads))
      return next();
    const request = toHttpRequest(c);
    // Watched after the request's fields were copied: the engine's own reading is no dependence.
    const cookies = reads ? watchCookieReads(c.req.raw.headers) : { read: false };
    const result = await http.handle(request, route);
    if (result.kind === 'answer') {
      // Proxy mode only: an app cannot run its handler in the background.
      result.refresh?.abort();
      return answerResponse(result.answer);
    }
    const exchange = result.exchange;
    applyOriginFields(c, exchange.originFields);
    try {
      await exchange.run(() => next());
    } catch (error) {
      exchange.abort();
      throw error;
    }
    if (cookies.read) exchange.varyOn('cookie');
    const res = c.res;
    const outcome = exchange.head(res.status, fieldsOf(res.headers));
    // Hono's `c.res` setter copies the old response's fields onto the new one; clearing it first stops that.
    c.res = undefined;
    if (outcome.kind === 'replace') {
      void res.body?.cancel().catch(() => {});
      c.res = answerResponse(outcome.answer);
      return;
    }
    // An unsafe request: answered once its URL is invalidated (RFC 9111 §4.4), so the GET a
    // client sends next (a redirect after a POST) never gets the old page.
    if (exchange.invalidation !== undefined) await exchange.invalidation;
    const headers = new Headers(res.headers);
    if (outcome.vary !== undefined) headers.set('vary', outcome.vary);
    const onError = (error: unknown) => console.error('larder/hono: storing the response failed', error);
    if (res.body === null) await exchange.end().catch(onError);
    const body = res.body === null ? null : teeBody(res.body, exchange, onError);
    c.res = new Response(body, { status: res.status, statusText: res.statusText, headers });
  };
  LARDER_HANDLERS.set(middleware, 'cache');
  return middleware;
}

/**
 * Whether a Larder middleware later on this request's way takes over: an
 * inner `cachePage` (its route options win over `cachePages`), or for reads
 * an inner `neverCache` (nothing to look up).
 */
function handedOn(c: Context, reads: boolean): boolean {
  const later = matchedRoutes(c).slice(c.req.routeIndex + 1);
  return later.some(({ handler }) => {
    const kind = LARDER_HANDLERS.get(handler);
    return kind === 'cache' || (kind === 'never' && reads);
  });
}

function toHttpRequest(c: Context): HttpRequest {
  const url = new URL(c.req.url);
  const headers: Record<string, string> = {};
  // Through the object's own forEach: @hono/node-server's Request has a Headers class of its own.
  c.req.raw.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    method: c.req.method,
    scheme: url.protocol.slice(0, -1),
    host: url.host,
    target: url.pathname + url.search,
    headers,
  };
}

/** Set (or remove) the fields the exchange gives for the origin (a revalidation's validators). */
function applyOriginFields(c: Context, fields: Readonly<Record<string, string | null>>): void {
  const entries = Object.entries(fields);
  if (entries.length === 0) return;
  const headers = c.req.raw.headers;
  for (const [name, value] of entries) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
}
