/**
 * Seeing whether a request's handling read its cookie, so that the response
 * varies on `Cookie`. Hono's cookie helper (`getCookie`) and `c.req.header()`
 * both read `c.req.raw.headers`; its methods are shadowed on that one
 * request's `Headers` object (own properties, nothing shared is patched).
 */

/** What a watched request reports. */
export interface CookieReads {
  /** Whether anything read the cookie since `watchCookieReads` (or the request could not be watched). */
  readonly read: boolean;
}

/** The `Headers` methods that can reveal the cookie: by name, or by listing every field. */
const BY_NAME = ['get', 'has'] as const;
const LISTING = ['forEach', 'entries', 'keys', 'values', Symbol.iterator] as const;

/**
 * Watch `headers` from now on: a `get('cookie')` / `has('cookie')` (present
 * or not: an absent cookie selects the anonymous page), or any listing of
 * every field, counts as a read. A `Headers` object that cannot be watched
 * counts as read: varying on `Cookie` is the safe side.
 */
export function watchCookieReads(headers: Headers): CookieReads {
  const reads = { read: false };
  // The object's own class, not the global `Headers`: @hono/node-server hands out a Headers of its own.
  const own = headers as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
  try {
    for (const method of BY_NAME) {
      const original = own[method] as (name: string) => unknown;
      Object.defineProperty(headers, method, {
        configurable: true,
        value(name: string) {
          if (String(name).toLowerCase() === 'cookie') reads.read = true;
          return original.call(headers, name);
        },
      });
    }
    for (const method of LISTING) {
      const original = own[method] as (...args: unknown[]) => unknown;
      Object.defineProperty(headers, method, {
        configurable: true,
        value(...args: unknown[]) {
          reads.read = true;
          return original.apply(headers, args);
        },
      });
    }
  } catch {
    reads.read = true;
  }
  return reads;
}
