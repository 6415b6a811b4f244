/**
 * Whether a shared cache may store a response, and what of it (RFC 9111 §3,
 * §3.1, §3.5), pure: plain request and response data in, a decision out.
 * Stricter than a generic proxy in one place, on purpose: a response that sets
 * a cookie is not stored unless the route opts in, and then never with its
 * `Set-Cookie`.
 */
import { type CacheControl, deltaSeconds, parseCacheControl, qualifiedFields } from './cache-control.js';
import { type HeaderFields, fieldLines as lines, listMembers as members } from './header-fields.js';

export type { HeaderFields } from './header-fields.js';

/** What the decision reads of a request. */
export interface StorableRequest {
  readonly method: string;
  readonly headers: HeaderFields;
}

/** What the decision reads of a response. */
export interface StorableResponse {
  readonly status: number;
  readonly headers: HeaderFields;
}

/** What the caller decided beyond the headers. */
export interface StoreRules {
  /** Store responses that carry `Set-Cookie`, without that header. @default false */
  readonly allowSetCookie?: boolean;
  /**
   * The route varies its responses on `Authorization` (a copy per credential),
   * so §3.5's rule, which keeps one user's response from another, is kept by
   * the key instead. @default false
   */
  readonly perCredential?: boolean;
}

/** Why a response is not stored; one reason, the first rule it broke. */
export type NotStoredReason =
  | 'method'
  | 'status'
  | 'request-no-store'
  | 'no-store'
  | 'private'
  | 'authorization'
  | 'vary-star'
  | 'set-cookie'
  | 'no-freshness';

/** The decision: store (without the fields named), or not and why. */
export type StoreDecision =
  | { readonly store: true; readonly omitFields: ReadonlySet<string>; readonly cacheControl: CacheControl }
  | { readonly store: false; readonly reason: NotStoredReason };

/**
 * Status codes heuristically cacheable (RFC 9110 §15.1), except 206: a cache
 * that does not implement ranges must not store partial content (RFC 9111 §3.3).
 */
const CACHEABLE_BY_DEFAULT: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501,
]);

/** Hop-by-hop fields (RFC 9110 §7.6.1), never stored (RFC 9111 §3.1). */
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'trailer',
];

/** Decide whether a shared cache may store `response` to `request`, and without which fields. */
export function storeDecision(
  request: StorableRequest,
  response: StorableResponse,
  rules: StoreRules = {},
): StoreDecision {
  // §3: a method the cache understands and defines as cacheable. HEAD is answered from a stored GET.
  if (request.method.toUpperCase() !== 'GET') return { store: false, reason: 'method' };
  // §3: a final status the cache understands; 206 and 304 are not stored as responses (§3.3, §4.3.4).
  const status = response.status;
  if (!Number.isInteger(status) || status < 200 || status > 599 || status === 206 || status === 304)
    return { store: false, reason: 'status' };
  const requestControl = parseCacheControl(lines(request.headers, 'cache-control'));
  // §5.2.1.5: no-store in the request forbids storing the response to it.
  if (requestControl.directives.has('no-store')) return { store: false, reason: 'request-no-store' };
  const control = parseCacheControl(lines(response.headers, 'cache-control'));
  // §5.2.2.5.
  if (control.directives.has('no-store')) return { store: false, reason: 'no-store' };
  // §5.2.2.7: a shared cache never stores a private response; a qualified one, without the fields named.
  const privateFields = qualifiedFields(control, 'private');
  if (privateFields === true) return { store: false, reason: 'private' };
  // §3.5: a request with Authorization only when the response allows it explicitly.
  if (
    lines(request.headers, 'authorization').length > 0 &&
    rules.perCredential !== true &&
    !control.directives.has('public') &&
    !control.directives.has('s-maxage') &&
    !control.directives.has('must-revalidate')
  )
    return { store: false, reason: 'authorization' };
  // §4.1: Vary: * never matches a later request; storing it would only waste space.
  if (members(response.headers, 'vary').includes('*')) return { store: false, reason: 'vary-star' };
  // Larder's rule, stricter than §3: a cookie is one user's; replaying it would hand it to the next.
  if (lines(response.headers, 'set-cookie').length > 0 && rules.allowSetCookie !== true)
    return { store: false, reason: 'set-cookie' };
  // §3: explicit freshness, `public`, a status cacheable by default, or the route's own lifetime.
  const explicit =
    control.directives.has('public') ||
    deltaSeconds(control, 's-maxage') !== undefined ||
    deltaSeconds(control, 'max-age') !== undefined ||
    lines(response.headers, 'expires').length > 0;
  // A route's TTL stands in for explicit freshness only for statuses cacheable by default:
  // an error page stored for the route's TTL would serve an outage long after it ended.
  if (!explicit && !CACHEABLE_BY_DEFAULT.has(status)) return { store: false, reason: 'no-freshness' };
  const omitFields = new Set<string>([
    ...HOP_BY_HOP,
    ...members(response.headers, 'connection'),
    'set-cookie',
  ]);
  if (privateFields !== undefined) for (const field of privateFields) omitFields.add(field);
  // §5.2.2.4: a qualified no-cache may be stored, but its fields not reused without revalidation: left out.
  const noCacheFields = qualifiedFields(control, 'no-cache');
  if (noCacheFields !== undefined && noCacheFields !== true)
    for (const field of noCacheFields) omitFields.add(field);
  return { store: true, omitFields, cacheControl: control };
}
