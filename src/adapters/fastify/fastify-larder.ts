/**
 * `larder/fastify`: the shared response cache (src/http) as a Fastify plugin.
 * Only translation lives here: Fastify's request and reply to the engine's
 * plain data and back. See docs/fastify.md for the hook order.
 */
import type {
  FastifyInstance,
  FastifyRequest,
  RouteOptions as FastifyRouteOptions,
  onRequestHookHandler,
  onSendHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { Exchange, HttpRequest } from '../../http/exchange.js';
import { createHttpCache, type HttpCache } from '../../http/http-cache.js';
import type { HttpCacheOptions, ResolvedRoute, RouteOptions } from '../../http/http-cache-options.js';
import { isUnsafeMethod } from '../../http/rules/invalidation.js';
import { type CookieReads, watchCookieReads } from './cookie-reads.js';
import { answerBody, applyAnswer, feedBody, replyFields, setAnswerLength } from './reply-body.js';

/** A route's `config.larder`: its options, `true` for the cache's defaults, `false` to keep Larder off it. */
export type LarderRouteConfig = RouteOptions | boolean;

/** The options of the `fastifyLarder` plugin. */
export interface FastifyLarderOptions {
  /** The response cache (`createHttpCache`), or the options to build one. */
  readonly http: HttpCache | HttpCacheOptions;
  /**
   * Cache every GET route (and its HEAD) registered after the plugin, not only
   * those with `config: { larder }`; `config: { larder: false }` opts one out.
   * @default false
   */
  readonly allRoutes?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The response cache the `larder/fastify` plugin uses. */
    larder: HttpCache;
  }
  interface FastifyContextConfig {
    /** Larder's options for this route (see docs/fastify.md). */
    larder?: LarderRouteConfig;
  }
}

/** What Larder does on one route, decided once when the route is registered. */
interface RoutePlan {
  /** GET and HEAD are cached. */
  readonly cached: boolean;
  readonly route: ResolvedRoute | undefined;
}

/** One request that Larder follows. */
interface RequestState {
  readonly cookies: CookieReads;
  /** The request fields as they arrived, read before the cookie was watched. */
  readonly headers: HttpRequest['headers'];
  exchange: Exchange | undefined;
  /** The `Content-Length` of a cached answer to HEAD (Fastify's HEAD route resets it). */
  answerLength: string | undefined;
}

const PLAN = Symbol('larder.plan');
const READS = new Set(['GET', 'HEAD']);

function planOf(request: FastifyRequest): RoutePlan | undefined {
  return (request.routeOptions.config as { [PLAN]?: RoutePlan })[PLAN];
}

function isHttpCache(http: HttpCache | HttpCacheOptions): http is HttpCache {
  return typeof (http as HttpCache).handle === 'function';
}

function appendHook<T>(existing: T | T[] | undefined, hook: T): T[] {
  return existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

async function larderPlugin(fastify: FastifyInstance, options: FastifyLarderOptions): Promise<void> {
  const http = isHttpCache(options.http) ? options.http : createHttpCache(options.http);
  const allRoutes = options.allRoutes ?? false;
  const states = new WeakMap<FastifyRequest, RequestState>();
  fastify.decorate('larder', http);

  // First: watch cookie reads from the earliest hook Larder owns, so that the
  // app's own hooks registered after the plugin are seen too.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const plan = planOf(request);
    if (plan?.cached === true && READS.has(request.method)) {
      const headers = { ...request.raw.headers };
      states.set(request, {
        cookies: watchCookieReads(request),
        headers,
        exchange: undefined,
        answerLength: undefined,
      });
    }
    done();
  });

  const lookup: onRequestHookHandler = async function larderLookup(request, reply) {
    const plan = planOf(request);
    if (plan === undefined) return;
    const state = states.get(request);
    const unsafe = isUnsafeMethod(request.method);
    if (state === undefined && !unsafe) return;
    const result = await http.handle(toHttpRequest(request, state?.headers ?? request.headers), plan.route);
    if (result.kind === 'answer') {
      // Proxy mode only: an app cannot run its handler in the background.
      result.refresh?.abort();
      if (state !== undefined && request.method === 'HEAD')
        state.answerLength = String(result.answer.headers['content-length'] ?? '');
      return applyAnswer(reply, result.answer).send(answerBody(result.answer) ?? undefined);
    }
    const exchange = result.exchange;
    for (const [name, value] of Object.entries(exchange.originFields)) {
      if (value === null) delete request.raw.headers[name];
      else request.raw.headers[name] = value;
    }
    if (state !== undefined) state.exchange = exchange;
    else states.set(request, { cookies: { read: false }, headers: {}, exchange, answerLength: undefined });
    // Every way a reply ends (sent, aborted, hijacked: hijacked replies run no
    // hooks) closes the response; after the body was stored this is a no-op.
    reply.raw.once('close', () => exchange.abort());
  };

  // Last of the route's onSend hooks (appended when the route is registered),
  // so it sees every header and the payload as every other hook left them.
  const store: onSendHookHandler = function larderStore(request, reply, payload, done) {
    const state = states.get(request);
    if (state?.answerLength !== undefined) setAnswerLength(reply, state.answerLength);
    const exchange = state?.exchange;
    if (state === undefined || exchange === undefined) return done(null, payload);
    state.exchange = undefined;
    if (state.cookies.read) exchange.varyOn('cookie');
    const outcome = exchange.head(reply.statusCode, replyFields(reply));
    if (outcome.kind === 'replace') {
      destroyStream(payload);
      applyAnswer(reply, outcome.answer, true);
      return done(null, answerBody(outcome.answer));
    }
    if (outcome.vary !== undefined) reply.header('vary', outcome.vary);
    // An unsafe request: answered once its URL is invalidated (RFC 9111 §4.4), so the GET a
    // client sends next (a redirect after a POST) never gets the old page.
    if (exchange.invalidation !== undefined) {
      void exchange.invalidation.then(() => done(null, payload));
      return;
    }
    feedBody(
      exchange,
      payload,
      (body) => done(null, body),
      (error) => request.log.error({ err: error }, 'larder: storing the response failed'),
    );
  };

  // The handler runs in the exchange's dependency scope (cached SQL queries tag the page).
  function wrapHandler(handler: FastifyRouteOptions['handler']): FastifyRouteOptions['handler'] {
    return function larderHandler(this: FastifyInstance, request, reply) {
      const exchange = states.get(request)?.exchange;
      return exchange === undefined
        ? handler.call(this, request, reply)
        : exchange.run(() => handler.call(this, request, reply));
    };
  }

  fastify.addHook('onRoute', (route) => {
    const config = route.config?.larder;
    if (config === false) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const cached = methods.some((m) => READS.has(m)) && (config !== undefined || allRoutes);
    if (!cached && !methods.some((m) => isUnsafeMethod(m))) return;
    // Validated here, at registration: a wrong option fails at startup, not on the first request.
    const plan: RoutePlan = {
      cached,
      route: config === undefined || config === true ? undefined : http.route(config),
    };
    route.config = { ...route.config, [PLAN]: plan } as NonNullable<typeof route.config>;
    route.onRequest = appendHook(route.onRequest, lookup);
    route.onSend = appendHook(route.onSend, store);
    route.handler = wrapHandler(route.handler);
  });
}

function toHttpRequest(request: FastifyRequest, headers: HttpRequest['headers']): HttpRequest {
  return {
    method: request.method,
    scheme: request.protocol,
    host: request.host,
    target: request.url,
    headers,
  };
}

function destroyStream(payload: unknown): void {
  if (typeof (payload as { destroy?: unknown } | null)?.destroy === 'function')
    (payload as { destroy(): void }).destroy();
}

/**
 * The Larder plugin for Fastify 5: registered once, before the routes it caches.
 * @example
 * await app.register(fastifyLarder, { http: { cache, hosts: ['shop.example'], ttl: '1m' }, allRoutes: true });
 * app.get('/products', { config: { larder: { ttl: '5m', tags: ['products'] } } }, listProducts);
 */
export const fastifyLarder = fp(larderPlugin, { fastify: '5.x', name: 'larder' });
