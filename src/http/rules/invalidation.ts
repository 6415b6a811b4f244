/**
 * What a response to an unsafe request invalidates, pure (RFC 9111 §4.4).
 */
import { fieldValue, type HeaderFields } from './header-fields.js';

/** Safe methods (RFC 9110 §9.2.1); every other method, unknown ones included, is unsafe. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Whether a request with this method invalidates what it targets (RFC 9111 §4.4). */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The request that got the response. */
export interface InvalidatingRequest {
  readonly method: string;
  readonly scheme: string;
  /** The request's host, already validated and lowercase. */
  readonly host: string;
  readonly target: string;
}

/**
 * The targets (origin-form, on the request's own origin) that a response to
 * an unsafe method invalidates: the target URI, and the URIs in `Location` and
 * `Content-Location` when they have the same origin (RFC 9111 §4.4: a cache
 * must not invalidate another origin's URIs, which would let one site purge
 * another's pages). Only a non-error response (2xx, 3xx) invalidates.
 */
export function invalidatedTargets(
  request: InvalidatingRequest,
  status: number,
  response: HeaderFields,
): string[] {
  if (!isUnsafeMethod(request.method) || status < 200 || status >= 400) return [];
  let base: URL;
  try {
    base = new URL(`${request.scheme.toLowerCase()}://${request.host}${request.target}`);
  } catch {
    return [request.target];
  }
  const targets = new Set<string>([request.target]);
  for (const name of ['location', 'content-location']) {
    const value = fieldValue(response, name);
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value.trim(), base);
    } catch {
      continue;
    }
    if (url.origin === base.origin) targets.add(`${url.pathname}${url.search}`);
  }
  return [...targets];
}
