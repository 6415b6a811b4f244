/**
 * Express middleware over the framework-free page cache (src/http): it
 * translates the request into plain data, answers from the cache, or lets the
 * handler run and follows its response through `res.writeHead`, `res.write`
 * and `res.end` — the last point every header-changing middleware has passed
 * (session middleware adding `Vary: Cookie` or `Set-Cookie` included), so the
 * store step sees the response exactly as the client does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange, HttpRequest } from '../../http/exchange.js';
import type { HttpCache } from '../../http/http-cache.js';
import type { ResolvedRoute, RouteOptions } from '../../http/http-cache-options.js';
import type { HeaderFields } from '../../http/rules/header-fields.js';
import type { HttpAnswer } from '../../http/stored-response.js';

/** An Express-compatible middleware (Express 4 and 5 share this shape). */
export type Middleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** Express's additions to the request that the middleware reads, when present. */
interface ExpressRequest extends IncomingMessage {
  readonly protocol?: string;
  readonly originalUrl?: string;
  readonly session?: unknown;
}

/** A response already followed by a page-cache middleware (a site-wide one and a route's). */
const FOLLOWED = Symbol('larder.followed');

/**
 * Site-wide page caching: every GET and HEAD is looked up, and what the
 * response's headers (and the cache's `ttl`, if set) allow is stored.
 * Register it before session and cookie middleware, so that it sees them read
 * the cookie.
 * @example
 * app.use(cachePages(createHttpCache({ cache, hosts: ['shop.example'] })));
 */
export function cachePages(http: HttpCache): Middleware {
  return middleware(http, http.options.route);
}

/**
 * Page caching for one route, with its own TTL, vary fields and tags.
 * @example
 * app.get('/products', cachePage(http, { ttl: '5m', tags: ['products'] }), listProducts);
 */
export function cachePage(http: HttpCache, route: RouteOptions = {}): Middleware {
  return middleware(http, http.route(route));
}

/**
 * Mark the response as never storable anywhere: `Cache-Control: no-store, private`.
 * @example
 * app.get('/account', neverCache(), showAccount);
 */
export function neverCache(): Middleware {
  return (_request, response, next) => {
    response.setHeader('cache-control', 'no-store, private');
    next();
  };
}

function middleware(http: HttpCache, route: ResolvedRoute): Middleware {
  return (request, response, next) => {
    const marked = response as ServerResponse & { [FOLLOWED]?: true };
    if (marked[FOLLOWED]) return next();
    marked[FOLLOWED] = true;
    const req = request as ExpressRequest;
    const headers = { ...req.headers } as HeaderFields;
    const plain: HttpRequest = {
      method: req.method ?? 'GET',
      scheme: req.protocol ?? ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http'),
      host: req.headers.host,
      target: req.originalUrl ?? req.url ?? '/',
      headers,
    };
    http.handle(plain, route).then(
      (lookup) => {
        if (lookup.kind === 'answer') return send(response, lookup.answer);
        follow(req, response, lookup.exchange, next);
      },
      // The cache could not decide (it never should): the app answers, uncached.
      () => next(),
    );
  };
}

/** Send a stored answer. */
function send(response: ServerResponse, answer: HttpAnswer): void {
  for (const name of response.getHeaderNames()) response.removeHeader(name);
  response.writeHead(answer.status, answer.headers as Record<string, string | string[]>);
  response.end(
    answer.body === undefined
      ? undefined
      : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength),
  );
}

/** The bytes of a chunk as `res.write` / `res.end` take it. */
function bytesOf(chunk: unknown, encoding: unknown): Uint8Array | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  return undefined;
}

/** The response's header fields, lowercase, as they will be sent. */
function outgoing(response: ServerResponse): HeaderFields {
  const out: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(response.getHeaders())) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** Let the handler run and follow its response. */
function follow(
  request: ExpressRequest,
  response: ServerResponse,
  exchange: Exchange,
  next: (error?: unknown) => void,
): void {
  for (const [name, value] of Object.entries(exchange.originFields)) {
    if (value === null) delete request.headers[name];
    else request.headers[name] = value;
  }
  // Session middleware registered before this one has read the cookie already: assume it matters.
  if (request.session !== undefined) exchange.varyOn('cookie');
  // Whoever reads the cookie from here on (cookie-parser, express-session, the handler) makes the page vary on it.
  const cookie = request.headers.cookie;
  Object.defineProperty(request.headers, 'cookie', {
    configurable: true,
    enumerable: cookie !== undefined,
    get() {
      exchange.varyOn('cookie');
      return cookie;
    },
    set(value) {
      Object.defineProperty(request.headers, 'cookie', {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
  const writeHead = response.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  const write = response.write;
  const end = response.end;
  let replacement: HttpAnswer | undefined;
  let decided = false;

  const decide = (status: number): void => {
    if (decided) return;
    decided = true;
    const outcome = exchange.head(status, outgoing(response));
    if (outcome.kind === 'pass') {
      if (outcome.vary !== undefined) response.setHeader('vary', outcome.vary);
      return;
    }
    replacement = outcome.answer;
    for (const name of response.getHeaderNames()) response.removeHeader(name);
    for (const [name, value] of Object.entries(replacement.headers))
      response.setHeader(name, value as string | string[]);
  };

  response.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    // writeHead(status, [message], [headers]): fold the headers in first, so the decision sees them.
    const last = rest[rest.length - 1];
    if (last !== null && typeof last === 'object') {
      const pairs = Array.isArray(last) ? pairsOf(last) : Object.entries(last as Record<string, unknown>);
      for (const [name, value] of pairs) this.setHeader(name, value as string | string[]);
      rest.pop();
    }
    decide(status);
    const message = typeof rest[0] === 'string' ? rest[0] : undefined;
    if (replacement !== undefined) return writeHead.call(this, replacement.status);
    return message === undefined ? writeHead.call(this, status) : writeHead.call(this, status, message);
  } as ServerResponse['writeHead'];

  response.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown) {
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (replacement !== undefined) {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }
    const bytes = bytesOf(chunk, encoding);
    if (bytes !== undefined) exchange.write(bytes);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, encoding, callback);
  } as ServerResponse['write'];

  response.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown) {
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (replacement !== undefined) {
      const body = request.method === 'HEAD' ? undefined : replacement.body;
      const done = [chunk, encoding, callback].find((arg) => typeof arg === 'function');
      return (end as (...args: unknown[]) => ServerResponse).call(
        this,
        body === undefined ? undefined : Buffer.from(body),
        done,
      );
    }
    const bytes = bytesOf(chunk, encoding);
    if (bytes !== undefined) exchange.write(bytes);
    const invalidation = exchange.invalidation;
    if (invalidation !== undefined) {
      // An unsafe request: the response ends once its URL is invalidated (RFC 9111 §4.4), so
      // the GET a client sends next (a redirect after a POST) never gets the old page.
      void invalidation.then(() =>
        (end as (...args: unknown[]) => ServerResponse).call(this, chunk, encoding, callback),
      );
      return this;
    }
    const result = (end as (...args: unknown[]) => ServerResponse).call(this, chunk, encoding, callback);
    void exchange.end();
    return result;
  } as ServerResponse['end'];

  response.once('close', () => {
    // The client went away before the end: nothing partial is stored, and waiters go to the origin.
    if (!response.writableFinished) exchange.abort();
  });
  try {
    exchange.run(() => next());
  } catch (error) {
    next(error);
  }
}

/** `writeHead`'s raw array form: [name, value, name, value...] or [[name, value]...]. */
function pairsOf(list: readonly unknown[]): Array<[string, unknown]> {
  if (list.every((item) => Array.isArray(item))) return list as Array<[string, unknown]>;
  const pairs: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < list.length; i += 2) pairs.push([String(list[i]), list[i + 1]]);
  return pairs;
}
