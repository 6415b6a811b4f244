/**
 * Whether a stored response may answer a request, pure (RFC 9111 §4.2, §4.2.4,
 * §4.3, §5.2.1; RFC 5861 for the stale extensions).
 */
import { type CacheControl, deltaSeconds } from './cache-control.js';

/** What the decision reads of a stored response. */
export interface StoredFreshness {
  readonly lifetimeMs: number;
  /** Its current age (§4.2.3). */
  readonly ageMs: number;
  /** Its `Cache-Control`. */
  readonly control: CacheControl;
  /** The route's own stale windows, when it gives them (middleware mode); directives take precedence. */
  readonly staleWhileRevalidateMs?: number | undefined;
  readonly staleIfErrorMs?: number | undefined;
}

/**
 * - `fresh`: answer from the store.
 * - `stale-while-revalidate`: answer stale, and have one request refresh it.
 * - `revalidate`: ask the origin (conditionally when the entry has validators);
 *   `staleIfError` says whether the stale response may answer if the origin fails.
 */
export type Reuse =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'stale-while-revalidate' }
  | { readonly kind: 'revalidate'; readonly staleIfError: boolean };

/** §5.2.2.2, §5.2.2.8, §5.2.2.10: a shared cache serves nothing stale of such a response. */
function mustNotServeStale(control: CacheControl): boolean {
  const { directives } = control;
  return (
    directives.has('must-revalidate') ||
    directives.has('proxy-revalidate') ||
    // §5.2.2.10: s-maxage implies proxy-revalidate for a shared cache.
    directives.has('s-maxage') ||
    directives.get('no-cache') === true
  );
}

/** A stale-extension window from a directive (RFC 5861 §3, §4), else the route's. */
function windowMs(control: CacheControl, name: string, routeMs: number | undefined): number {
  const seconds = deltaSeconds(control, name);
  if (seconds !== undefined) return seconds === null ? 0 : seconds * 1000;
  return routeMs ?? 0;
}

/** Decide how a stored response answers a request with `requestControl`. */
export function reuse(stored: StoredFreshness, requestControl: CacheControl): Reuse {
  const { control, lifetimeMs, ageMs } = stored;
  const forbidStale = mustNotServeStale(control);
  const staleMs = ageMs - lifetimeMs;
  const staleIfErrorWindow = Math.max(
    windowMs(control, 'stale-if-error', stored.staleIfErrorMs),
    // RFC 5861 §4: the request may ask for it too.
    windowMs(requestControl, 'stale-if-error', undefined),
  );
  const staleIfError = !forbidStale && staleMs <= staleIfErrorWindow;
  const revalidate: Reuse = { kind: 'revalidate', staleIfError };
  // §5.2.1.4: the client asks for revalidation; §5.2.2.4: the response requires it.
  if (requestControl.directives.has('no-cache') || control.directives.get('no-cache') === true)
    return revalidate;
  // §5.2.1.1: the client accepts no response older than max-age.
  const maxAge = deltaSeconds(requestControl, 'max-age');
  if (maxAge !== undefined && (maxAge === null || ageMs > maxAge * 1000)) return revalidate;
  // §5.2.1.3: the client wants the response to stay fresh for min-fresh more.
  const minFresh = deltaSeconds(requestControl, 'min-fresh');
  const neededMs = minFresh === undefined || minFresh === null ? 0 : minFresh * 1000;
  if (lifetimeMs - ageMs > neededMs) return { kind: 'fresh' };
  if (staleMs < 0) return revalidate;
  if (forbidStale) return revalidate;
  // §5.2.1.2: max-stale (without a value: any staleness) lets the client take a stale response.
  const maxStale = requestControl.directives.get('max-stale');
  if (maxStale === true) return { kind: 'fresh' };
  if (maxStale !== undefined) {
    const seconds = deltaSeconds(requestControl, 'max-stale');
    if (typeof seconds === 'number' && staleMs <= seconds * 1000) return { kind: 'fresh' };
  }
  if (staleMs <= windowMs(control, 'stale-while-revalidate', stored.staleWhileRevalidateMs))
    return { kind: 'stale-while-revalidate' };
  return revalidate;
}

/** How long past its lifetime a stored response is still of use: its stale windows. */
export function staleUseMs(
  control: CacheControl,
  route: { readonly swrMs?: number | undefined; readonly sieMs?: number | undefined },
): number {
  if (mustNotServeStale(control)) return 0;
  return Math.max(
    windowMs(control, 'stale-while-revalidate', route.swrMs),
    windowMs(control, 'stale-if-error', route.sieMs),
  );
}
