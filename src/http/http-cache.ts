/**
 * The shared HTTP response cache (RFC 9111) over a Larder cache, framework-free:
 * an adapter (Express, Fastify, Hono, the proxy) hands it a request as plain
 * data and gets back either an answer to send or an exchange to feed with the
 * origin's response. See docs/http.md.
 */
import { Exchange, type ExchangeContext, type HttpRequest } from './exchange.js';
import { Flights } from './flights.js';
import {
  type HttpCacheOptions,
  type ResolvedHttpOptions,
  type ResolvedRoute,
  type RouteOptions,
  resolveHttpOptions,
  resolveRoute,
} from './http-cache-options.js';
import { PageStore } from './page-store.js';
import { parseCacheControl } from './rules/cache-control.js';
import { primaryKey } from './rules/cache-key.js';
import { revalidationFields } from './rules/conditional.js';
import { fieldLines } from './rules/header-fields.js';
import { isUnsafeMethod } from './rules/invalidation.js';
import { reuse } from './rules/reuse.js';
import {
  answerFrom,
  type HttpAnswer,
  originValidators,
  storedAgeMs,
  storedControl,
} from './stored-response.js';

/** What to do with a request. */
export type Lookup =
  /** Send this answer; nothing goes to the origin (unless `refresh` is given: run it in the background). */
  | { readonly kind: 'answer'; readonly answer: HttpAnswer; readonly refresh: Exchange | undefined }
  /** Send the request to the origin (with `exchange.originFields` applied) and feed the response to `exchange`. */
  | { readonly kind: 'forward'; readonly exchange: Exchange };

/** A shared response cache. */
export interface HttpCache {
  /** Decide how to answer `request`; `route` overrides the per-route options. */
  handle(request: HttpRequest, route?: ResolvedRoute): Promise<Lookup>;
  /** Validate a route's options once, to pass to `handle`. */
  route(options: RouteOptions): ResolvedRoute;
  /** Resolves when the stores and invalidations started so far have settled. */
  idle(): Promise<void>;
  /** The resolved options. */
  readonly options: ResolvedHttpOptions;
}

/** Skipped requests are logged at most once a minute per reason. */
const REPORT_EVERY_MS = 60_000;

const GATEWAY_TIMEOUT: HttpAnswer = Object.freeze({
  status: 504,
  headers: { 'content-length': '0', 'cache-status': 'larder; fwd=miss; detail=only-if-cached' },
  body: undefined,
});

/**
 * A shared HTTP response cache over a Larder cache (see docs/http.md).
 * @example
 * const pages = createHttpCache({ cache, hosts: ['shop.example'], ttl: '5m' });
 */
export function createHttpCache(options: HttpCacheOptions): HttpCache {
  const resolved = resolveHttpOptions(options, 'createHttpCache');
  const flights = new Flights();
  const pages = new PageStore(resolved.cache, resolved.maxFieldLength);
  const reportedAt = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();
  const keyRules = {
    allowHost: resolved.allowHost,
    ignoreParam: resolved.ignoreParam,
    sortQuery: resolved.sortQuery,
    maxTargetLength: resolved.maxTargetLength,
  };
  const context: ExchangeContext = {
    options: resolved,
    pages,
    flights,
    now: Date.now,
    report(reason, details) {
      const now = Date.now();
      if ((reportedAt.get(reason) ?? -Infinity) > now - REPORT_EVERY_MS) return;
      reportedAt.set(reason, now);
      resolved.logger.warn(`larder/http: ${reason}`, details);
    },
    collect: (fn) =>
      resolved.cache.collectDependencies(fn).then(
        ({ dependencies }) => dependencies,
        () => undefined,
      ),
    track(work) {
      pending.add(work);
      void work.finally(() => pending.delete(work));
      return work;
    },
    primaryKeyOf(request, target) {
      const key = primaryKey({ scheme: request.scheme, host: request.host, target }, keyRules);
      return key.ok ? key.key : undefined;
    },
  };
  const exchange = (init: ConstructorParameters<typeof Exchange>[1]) => new Exchange(context, init);

  async function handle(request: HttpRequest, route: ResolvedRoute = resolved.route): Promise<Lookup> {
    const method = request.method.toUpperCase();
    const key = primaryKey(request, keyRules);
    if (method !== 'GET' && method !== 'HEAD') {
      const kind = isUnsafeMethod(method) ? 'invalidate' : 'pass';
      return {
        kind: 'forward',
        exchange: exchange({ kind, request, route, ...(key.ok ? { host: key.host } : {}) }),
      };
    }
    if (!key.ok) {
      context.report(key.reason === 'host' ? 'unknown-host' : 'unusable-target', {
        host: request.host?.slice(0, 100),
        target: request.target.slice(0, 100),
      });
      return pass(request, route);
    }
    // RFC 9111 §3.5 (and Larder's rule): a credential bypasses unless the route keys on it.
    if (fieldLines(request.headers, 'authorization').length > 0 && !route.vary.includes('authorization'))
      return pass(request, route);
    const primary = key.key;
    const now = Date.now();
    if (flights.passing(primary, now))
      return { kind: 'forward', exchange: exchange({ kind: 'fill', request, primary, route }) };
    const requestControl = parseCacheControl(fieldLines(request.headers, 'cache-control'));
    // A URL being fetched: wait for that response rather than read the store (a stampede
    // costs one store read, not one per request). No-cache requests go their own way.
    if (method === 'GET' && flights.flying(primary, 'fill') && !requestControl.directives.has('no-cache')) {
      const waited = flights.join(primary, resolved.collapseWaitMs);
      const result = waited === undefined ? undefined : await waited;
      if (result?.kind === 'stored' && sameVariant(result, primary, request))
        return answer(answerFrom(result.stored, request, Date.now(), 'hit; detail=collapsed'));
      // Not storable (or waited too long): to the origin at once, without forming a queue.
      if (result?.kind === 'pass')
        return { kind: 'forward', exchange: exchange({ kind: 'fill', request, primary, route }) };
    }
    const landings = flights.landings();
    const found = await pages.find(primary, request.headers).catch(() => undefined);
    if (found === 'unusable') {
      context.report('unusable-field', { target: request.target.slice(0, 100) });
      return pass(request, route);
    }
    if (found !== undefined) {
      const { stored } = found;
      const decision = reuse(
        {
          lifetimeMs: stored.lifetimeMs,
          ageMs: storedAgeMs(stored, now),
          control: storedControl(stored),
          staleWhileRevalidateMs: route.swrMs,
          staleIfErrorMs: route.sieMs,
        },
        requestControl,
      );
      if (decision.kind === 'fresh') return answer(answerFrom(stored, request, now, 'hit'));
      if (decision.kind === 'stale-while-revalidate') {
        // RFC 5861 §3: one request refreshes; the others are answered stale meanwhile.
        const flight = flights.start(primary, 'refresh');
        const staleAnswer = answerFrom(stored, request, now, 'hit; detail=stale-while-revalidate');
        if (flight === undefined) return answer(staleAnswer);
        const refresh = exchange({
          kind: 'revalidate',
          request,
          primary,
          route,
          flight,
          stale: stored,
          staleIfError: true,
          originFields: conditional(originValidators(stored)),
        });
        // The proxy refreshes in the background; in an app, this request is the one that refreshes.
        return resolved.proxy
          ? { kind: 'answer', answer: staleAnswer, refresh }
          : { kind: 'forward', exchange: refresh };
      }
      if (requestControl.directives.has('only-if-cached')) return answer(GATEWAY_TIMEOUT);
      const flight = flights.start(primary, 'refresh');
      if (flight === undefined) {
        const waited = await flights.join(primary, resolved.collapseWaitMs);
        const result = waited === undefined ? undefined : await waited;
        if (result?.kind === 'stored' && sameVariant(result, primary, request))
          return answer(answerFrom(result.stored, request, Date.now(), 'hit; detail=collapsed'));
      }
      return {
        kind: 'forward',
        exchange: exchange({
          kind: 'revalidate',
          request,
          primary,
          route,
          ...(flight === undefined ? {} : { flight }),
          stale: stored,
          staleIfError: decision.staleIfError,
          originFields: conditional(originValidators(stored)),
        }),
      };
    }
    if (requestControl.directives.has('only-if-cached')) return answer(GATEWAY_TIMEOUT);
    // A HEAD miss goes to the origin as it is: a GET fills the cache, a HEAD does not (RFC 9111 §4).
    if (method === 'HEAD') return pass(request, route);
    const landed = flights.landedSince(primary, landings);
    if (landed?.kind === 'stored' && sameVariant(landed, primary, request))
      return answer(answerFrom(landed.stored, request, Date.now(), 'hit; detail=collapsed'));
    const flight = flights.start(primary);
    if (flight !== undefined)
      return { kind: 'forward', exchange: exchange({ kind: 'fill', request, primary, route, flight }) };
    const waiting = flights.join(primary, resolved.collapseWaitMs);
    const result = waiting === undefined ? undefined : await waiting;
    if (result?.kind === 'stored' && sameVariant(result, primary, request))
      return answer(answerFrom(result.stored, request, Date.now(), 'hit; detail=collapsed'));
    // Not storable, or another variant: to the origin at once, without forming a queue.
    return { kind: 'forward', exchange: exchange({ kind: 'fill', request, primary, route }) };
  }

  function sameVariant(
    result: { readonly stored: { readonly vary: readonly string[] }; readonly variantKey: string },
    primary: string,
    request: HttpRequest,
  ): boolean {
    return pages.variantKey(primary, result.stored.vary, request.headers) === result.variantKey;
  }

  function pass(request: HttpRequest, route: ResolvedRoute): Lookup {
    return { kind: 'forward', exchange: exchange({ kind: 'pass', request, route }) };
  }

  return Object.freeze({
    handle,
    route: (routeOptions: RouteOptions) => resolveRoute(routeOptions, 'route', resolved.route),
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await resolved.cache.idle();
    },
    options: resolved,
  });
}

function answer(response: HttpAnswer): Lookup {
  return { kind: 'answer', answer: response, refresh: undefined };
}

/** The origin request of a revalidation: our validators replace the client's (RFC 9111 §4.3.1). */
function conditional(validators: {
  etag: string | undefined;
  lastModified: string | undefined;
}): Record<string, string | null> {
  return { 'if-none-match': null, 'if-modified-since': null, ...revalidationFields(validators) };
}
