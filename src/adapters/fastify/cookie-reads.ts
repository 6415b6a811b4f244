/**
 * Seeing whether a request's handling read its cookies, so that the response
 * varies on `Cookie` (a page built from one user's session must never be
 * served to another). Per request, on objects that request owns: an accessor
 * on its raw `headers.cookie`, and on `request.cookies` / `request.session`
 * when a plugin (@fastify/cookie, @fastify/session) has set them already.
 * Nothing shared is patched.
 */
import type { FastifyRequest } from 'fastify';

/** What a watched request reports. */
export interface CookieReads {
  /** Whether anything read the cookie (or what was parsed from it) since `watchCookieReads`. */
  readonly read: boolean;
}

/** Properties plugins derive from the cookie; reading them reads the cookie. */
const DERIVED = ['cookies', 'session'] as const;

/**
 * Watch `request` from now on: any read of `request.headers.cookie` (present
 * or not: an absent cookie selects the anonymous page), `request.cookies` or
 * `request.session` counts.
 */
export function watchCookieReads(request: FastifyRequest): CookieReads {
  const reads = { read: false };
  const headers = request.raw.headers;
  let cookie = headers.cookie;
  Object.defineProperty(headers, 'cookie', {
    configurable: true,
    // An absent field stays out of `Object.keys` (code that copies headers must not see it).
    enumerable: cookie !== undefined,
    get() {
      reads.read = true;
      return cookie;
    },
    set(value: string | undefined) {
      cookie = value;
    },
  });
  const target = request as unknown as Record<string, unknown>;
  for (const name of DERIVED) {
    if (target[name] === undefined || target[name] === null) continue;
    let value: unknown = target[name];
    Object.defineProperty(target, name, {
      configurable: true,
      enumerable: true,
      get() {
        reads.read = true;
        return value;
      },
      set(next: unknown) {
        value = next;
      },
    });
  }
  return reads;
}
