/**
 * The options of `createHttpCache`, resolved once into plain numbers and
 * predicates (STYLE §5).
 */
import { optionChecks } from '../core/option-checks.js';
import { resolveLogger } from '../core/options.js';
import type { Cache, Duration, Logger, LoggerOption } from '../core/types.js';
import type { Heuristic } from './rules/freshness.js';

/** Options of a response cache, set once; a route may override the per-route ones. */
export interface HttpCacheOptions extends RouteOptions {
  /** The Larder cache pages are stored in (any store: memory, Redis, tiered). */
  readonly cache: Cache;
  /**
   * The hosts whose pages may be stored: `'example.com'` (any port),
   * `'example.com:8080'`, `'*.example.com'` (subdomains). A request for any
   * other `Host` is never a key: it goes to the origin uncached, with a log
   * line (RFC 9111 §2; Host-header poisoning).
   */
  readonly hosts: readonly string[];
  /**
   * `'middleware'`: the cache sits inside an app, routes give their own TTL and
   * heuristic freshness is off. `'proxy'`: in front of any origin, only what
   * the origin's headers allow is stored, with §4.2.2's heuristic.
   * @default 'middleware'
   */
  readonly mode?: 'middleware' | 'proxy';
  /**
   * Query parameters left out of keys: exact names, or a prefix ending in `*`.
   * @default ['utm_*', 'fbclid', 'gclid', 'msclkid']
   */
  readonly ignoreParams?: readonly string[];
  /** Sort query parameters by name in keys (repeated names keep their order). @default true */
  readonly sortQuery?: boolean;
  /** Responses larger than this pass through uncached, without being buffered beyond it. @default 1_048_576 */
  readonly maxBodyBytes?: number;
  /** The longest request target (path and query) that may be a key. @default 8192 */
  readonly maxTargetLength?: number;
  /** The longest header value a key may hold (`Vary`'d fields, `Host`). @default 4096 */
  readonly maxFieldLength?: number;
  /**
   * After a response turned out not storable, requests for its URL go to the
   * origin without waiting for one another, for this long.
   * @default '10s'
   */
  readonly hitForPass?: Duration;
  /** The longest a request waits for another request's origin response before asking the origin itself. @default '10s' */
  readonly collapseWait?: Duration;
  /** Heuristic freshness (RFC 9111 §4.2.2) for responses without explicit freshness. @default false in middleware mode; 10 % of the time since Last-Modified, at most a day, in proxy mode */
  readonly heuristic?: Heuristic | false;
  /**
   * How long a stale response that has validators is kept to be revalidated
   * with a conditional request, past its stale windows.
   * @default '1h'
   */
  readonly keepForRevalidation?: Duration;
  /** Where skipped requests (unknown host, unsafe values) are reported, once a minute per reason. @default console */
  readonly logger?: LoggerOption;
}

/** What a route says about its own responses. */
export interface RouteOptions {
  /**
   * The route's TTL for responses without explicit freshness (`s-maxage`,
   * `max-age`, `Expires` still win). Without it, only what the headers allow is stored.
   */
  readonly ttl?: Duration;
  /** RFC 5861 `stale-while-revalidate` for the route's responses, unless they carry their own. */
  readonly staleWhileRevalidate?: Duration;
  /** RFC 5861 `stale-if-error` for the route's responses, unless they carry their own. */
  readonly staleIfError?: Duration;
  /** Request header fields the response varies on, besides its own `Vary` (added to it). */
  readonly vary?: readonly string[];
  /** Tags of every stored response (purged by `cache.invalidateTags`). */
  readonly tags?: readonly string[];
  /** Store responses that set a cookie, without their `Set-Cookie`. @default false */
  readonly allowSetCookie?: boolean;
}

/** Route options after validation. */
export interface ResolvedRoute {
  readonly ttlMs: number | undefined;
  readonly swrMs: number | undefined;
  readonly sieMs: number | undefined;
  readonly vary: readonly string[];
  readonly tags: readonly string[];
  readonly allowSetCookie: boolean;
}

/** Options after defaults and validation. */
export interface ResolvedHttpOptions {
  readonly cache: Cache;
  readonly proxy: boolean;
  readonly allowHost: (host: string) => boolean;
  readonly ignoreParam: (name: string) => boolean;
  readonly sortQuery: boolean;
  readonly maxBodyBytes: number;
  readonly maxTargetLength: number;
  readonly maxFieldLength: number;
  readonly hitForPassMs: number;
  readonly collapseWaitMs: number;
  readonly heuristic: Heuristic | false;
  readonly keepForRevalidationMs: number;
  readonly logger: Logger;
  readonly route: ResolvedRoute;
}

const DEFAULT_IGNORED = ['utm_*', 'fbclid', 'gclid', 'msclkid'];
/** RFC 9110 §5.1 field-name: a token. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A predicate over names from a list of exact names and `prefix*` patterns. */
function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

/** `example.com` allows it on any port; `example.com:8080` that port only; `*.example.com` its subdomains. */
function hostMatcher(hosts: readonly string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of hosts) {
    const lower = entry.toLowerCase();
    if (lower.startsWith('*.')) suffixes.push(lower.slice(1));
    else exact.add(lower);
  }
  return (host) => {
    if (exact.has(host)) return true;
    // An IPv6 literal ends in `]` or `]:port`.
    const colon = host.lastIndexOf(':');
    const name = colon > host.lastIndexOf(']') ? host.slice(0, colon) : host;
    if (exact.has(name)) return true;
    return suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  };
}

/** Validate a route's options (`scope` names the function they were given to). */
export function resolveRoute(options: RouteOptions, scope: string, base?: ResolvedRoute): ResolvedRoute {
  const check = optionChecks(scope);
  const optional = (path: string, value: Duration | undefined, fallback: number | undefined) =>
    value === undefined ? fallback : check.duration(path, value, 0, 0, 2 ** 31 * 1000);
  const vary = options.vary ?? base?.vary ?? [];
  if (!Array.isArray(vary) || vary.some((name) => typeof name !== 'string' || !FIELD_NAME.test(name)))
    throw check.invalid('vary', 'an array of header field names', vary);
  const tags = options.tags ?? base?.tags ?? [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === ''))
    throw check.invalid('tags', 'an array of non-empty strings', tags);
  return Object.freeze({
    ttlMs: optional('ttl', options.ttl, base?.ttlMs),
    swrMs: optional('staleWhileRevalidate', options.staleWhileRevalidate, base?.swrMs),
    sieMs: optional('staleIfError', options.staleIfError, base?.sieMs),
    vary: Object.freeze(vary.map((name: string) => name.toLowerCase())),
    tags: Object.freeze([...tags]),
    allowSetCookie: check.flag('allowSetCookie', options.allowSetCookie, base?.allowSetCookie ?? false),
  });
}

/** Resolve `createHttpCache`'s options (`scope` names the factory, for error messages). */
export function resolveHttpOptions(options: HttpCacheOptions, scope: string): ResolvedHttpOptions {
  const check = optionChecks(scope);
  if (typeof options !== 'object' || options === null) throw check.invalid('options', 'an object', options);
  const cache = options.cache;
  if (typeof cache?.getMany !== 'function') throw check.invalid('cache', 'a Larder cache', cache);
  const hosts = options.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0 || hosts.some((h) => typeof h !== 'string' || h === ''))
    throw check.invalid('hosts', "a non-empty array of host names, such as ['example.com']", hosts);
  const mode = check.oneOf('mode', options.mode ?? 'middleware', ['middleware', 'proxy'] as const);
  const ignored = options.ignoreParams ?? DEFAULT_IGNORED;
  if (!Array.isArray(ignored) || ignored.some((p) => typeof p !== 'string'))
    throw check.invalid('ignoreParams', 'an array of parameter names', ignored);
  const heuristic =
    options.heuristic === undefined
      ? mode === 'proxy'
        ? { fraction: 0.1, maxMs: 86_400_000 }
        : false
      : options.heuristic;
  if (
    heuristic !== false &&
    (!(heuristic.fraction >= 0 && heuristic.fraction <= 1) || !(heuristic.maxMs >= 0))
  )
    throw check.invalid('heuristic', 'false or { fraction: 0..1, maxMs: >= 0 }', heuristic);
  return Object.freeze({
    cache,
    proxy: mode === 'proxy',
    allowHost: hostMatcher(hosts),
    ignoreParam: nameMatcher(ignored),
    sortQuery: check.flag('sortQuery', options.sortQuery, true),
    maxBodyBytes: check.integer('maxBodyBytes', options.maxBodyBytes ?? 1_048_576, 0),
    maxTargetLength: check.integer('maxTargetLength', options.maxTargetLength ?? 8192, 1),
    maxFieldLength: check.integer('maxFieldLength', options.maxFieldLength ?? 4096, 1),
    hitForPassMs: check.duration('hitForPass', options.hitForPass, 10_000),
    collapseWaitMs: check.duration('collapseWait', options.collapseWait, 10_000),
    heuristic,
    keepForRevalidationMs: check.duration('keepForRevalidation', options.keepForRevalidation, 3_600_000),
    logger: options.logger === undefined ? console : resolveLogger(options.logger, check),
    route: resolveRoute(options, scope),
  });
}
