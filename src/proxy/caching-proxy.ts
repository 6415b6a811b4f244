/**
 * A caching reverse proxy on the page cache's rules: in front of any HTTP
 * origin (a Django app included), a shared cache (RFC 9111) backed by a
 * Larder cache. It forwards every request and body unchanged (but for
 * hop-by-hop fields, RFC 9110 §7.6.1, and a `Via`, §7.6.3), relays 1xx
 * responses, stores only what the origin's headers allow (no default TTL),
 * and purges by surrogate key with an authenticated `PURGE`. See docs/proxy.md.
 */
import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { optionChecks } from '../core/option-checks.js';
import type { Cache, Duration } from '../core/types.js';
import type { Exchange, HttpRequest } from '../http/exchange.js';
import { createHttpCache } from '../http/http-cache.js';
import type { HttpCacheOptions } from '../http/http-cache-options.js';
import type { HeaderFields } from '../http/rules/header-fields.js';
import { HOP_BY_HOP } from '../http/rules/storable.js';
import type { HttpAnswer } from '../http/stored-response.js';

/** Options of `createCachingProxy`. */
export interface CachingProxyOptions extends Omit<HttpCacheOptions, 'mode' | 'cache' | 'hosts' | 'ttl'> {
  /** The origin every request goes to, such as `'http://127.0.0.1:8000'`. */
  readonly origin: string;
  /** The Larder cache responses are stored in. */
  readonly cache: Cache;
  /** The hosts clients reach the proxy by (see `HttpCacheOptions.hosts`). @default ['localhost', '127.0.0.1', '[::1]'] */
  readonly hosts?: readonly string[];
  /**
   * Request fields every stored page varies on. The proxy cannot see whether
   * the origin read the cookie, so by default each cookie gets its own copy
   * (visitors without one share theirs); `[]` trusts the origin's `Vary`.
   * @default ['cookie']
   */
  readonly vary?: readonly string[];
  /** How long the origin may take to send its response head. @default '30s' */
  readonly originTimeout?: Duration;
  /**
   * The bearer token a `PURGE` must carry (`Authorization: Bearer <token>`).
   * Without one, `PURGE` is refused with 405: an open purge is a denial of service.
   */
  readonly purgeToken?: string;
}

/** A `node:http` request handler, with the page cache it uses. */
export type CachingProxy = ((request: IncomingMessage, response: ServerResponse) => void) & {
  /** Wait for the background refreshes and the page writes in flight (for a clean shutdown, or a test). */
  idle(): Promise<void>;
};

const VIA = '1.1 larder';

/**
 * A caching reverse proxy as a `node:http` request handler.
 * @example
 * http.createServer(createCachingProxy({ origin: 'http://127.0.0.1:8000', cache })).listen(8080);
 */
export function createCachingProxy(options: CachingProxyOptions): CachingProxy {
  const check = optionChecks('createCachingProxy');
  let origin: URL;
  try {
    origin = new URL(options.origin);
  } catch (error) {
    throw check.invalid('origin', "an http(s) URL, such as 'http://127.0.0.1:8000'", options.origin, error);
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:')
    throw check.invalid('origin', "an http(s) URL, such as 'http://127.0.0.1:8000'", options.origin);
  const originTimeoutMs = check.duration('originTimeout', options.originTimeout, 30_000, 1);
  const purgeToken = options.purgeToken;
  if (purgeToken !== undefined && (typeof purgeToken !== 'string' || purgeToken.length < 16))
    throw check.invalid('purgeToken', 'a string of at least 16 characters', '(hidden)');
  const { origin: _origin, originTimeout: _timeout, purgeToken: _token, ...rest } = options;
  const pages = createHttpCache({
    ...rest,
    hosts: options.hosts ?? ['localhost', '127.0.0.1', '[::1]'],
    // The proxy cannot see whether the origin read the cookie: every page varies on it, so a
    // session's page is only ever served to that session, and visitors without one share theirs.
    vary: options.vary ?? ['cookie'],
    mode: 'proxy',
  });
  const agent =
    origin.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const background = new Set<Promise<void>>();

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method === 'PURGE') return void purge(request, response);
    const plain: HttpRequest = {
      method: request.method ?? 'GET',
      scheme: 'encrypted' in request.socket && request.socket.encrypted ? 'https' : 'http',
      host: request.headers.host,
      target: request.url ?? '/',
      headers: request.headers as HeaderFields,
    };
    pages.handle(plain).then(
      (lookup) => {
        if (lookup.kind === 'answer') {
          send(response, lookup.answer, request.method === 'HEAD');
          request.resume();
          if (lookup.refresh !== undefined) {
            const done = refresh(request, lookup.refresh);
            background.add(done);
            void done.finally(() => background.delete(done));
          }
          return;
        }
        forward(request, response, lookup.exchange);
      },
      () => forward(request, response, undefined),
    );
  };

  /** Send the request to the origin and relay (and follow) its response. */
  function forward(request: IncomingMessage, response: ServerResponse, exchange: Exchange | undefined): void {
    const upstream = originRequest(request, exchange);
    upstream.on('information', (info) => relayInformation(response, info.statusCode, info.headers));
    upstream.on('response', (reply) => {
      const status = reply.statusCode ?? 502;
      const headers = withoutHopByHop(reply.headers, reply.headers.connection);
      const outcome = exchange?.head(status, headers as HeaderFields);
      if (outcome?.kind === 'replace') {
        reply.resume();
        send(response, outcome.answer, request.method === 'HEAD');
        return;
      }
      if (outcome?.vary !== undefined) headers.vary = outcome.vary;
      headers.via = appendVia(headers.via);
      response.writeHead(status, reply.statusMessage, headers as http.OutgoingHttpHeaders);
      reply.on('data', (chunk: Buffer) => exchange?.write(chunk));
      reply.on('end', () => {
        void exchange?.end();
        // An unsafe request: the response ends once its targets are invalidated (RFC 9111 §4.4).
        const invalidation = exchange?.invalidation;
        if (invalidation === undefined) response.end();
        else void invalidation.then(() => response.end());
      });
      reply.on('error', () => {
        exchange?.abort();
        response.destroy();
      });
      reply.pipe(response, { end: false });
    });
    upstream.on('error', () => {
      const stale = exchange?.originFailed();
      if (response.headersSent) return void response.destroy();
      if (stale !== undefined) return send(response, stale, request.method === 'HEAD');
      response.writeHead(502, {
        'content-type': 'text/plain',
        via: VIA,
        'cache-status': 'larder; fwd=miss; detail=origin-error',
      });
      response.end('Bad Gateway\n');
    });
    upstream.setTimeout(originTimeoutMs, () => upstream.destroy(new Error('origin timeout')));
    response.once('close', () => {
      if (!response.writableFinished) {
        exchange?.abort();
        upstream.destroy();
      }
    });
    request.pipe(upstream);
  }

  /** The request to the origin: the client's, with hop-by-hop fields dropped and the exchange's fields applied. */
  function originRequest(request: IncomingMessage, exchange: Exchange | undefined): http.ClientRequest {
    const headers = withoutHopByHop(request.headers, request.headers.connection);
    for (const [name, value] of Object.entries(exchange?.originFields ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    headers.via = appendVia(headers.via);
    const transport = origin.protocol === 'https:' ? https : http;
    return transport.request({
      protocol: origin.protocol,
      hostname: origin.hostname,
      port: origin.port,
      method: request.method,
      path: request.url,
      headers: headers as http.OutgoingHttpHeaders,
      agent,
    });
  }

  /** A stale-while-revalidate refresh, in the background: the client has its answer already. */
  function refresh(request: IncomingMessage, exchange: Exchange): Promise<void> {
    return new Promise<void>((resolve) => {
      const headers = withoutHopByHop(request.headers, request.headers.connection);
      for (const [name, value] of Object.entries(exchange.originFields)) {
        if (value === null) delete headers[name];
        else headers[name] = value;
      }
      headers.via = appendVia(headers.via);
      const transport = origin.protocol === 'https:' ? https : http;
      const upstream = transport.request({
        protocol: origin.protocol,
        hostname: origin.hostname,
        port: origin.port,
        method: 'GET',
        path: request.url,
        headers: headers as http.OutgoingHttpHeaders,
        agent,
      });
      upstream.on('response', (reply) => {
        exchange.head(
          reply.statusCode ?? 502,
          withoutHopByHop(reply.headers, reply.headers.connection) as HeaderFields,
        );
        reply.on('data', (chunk: Buffer) => exchange.write(chunk));
        reply.on('end', () => void exchange.end().finally(resolve));
        reply.on('error', () => {
          exchange.abort();
          resolve();
        });
      });
      upstream.on('error', () => {
        exchange.abort();
        resolve();
      });
      upstream.setTimeout(originTimeoutMs, () => upstream.destroy(new Error('origin timeout')));
      upstream.end();
    });
  }

  /** `PURGE` with `Surrogate-Key: a b` purges those keys; without it, the URL's variants. */
  async function purge(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume();
    if (purgeToken === undefined) return plain(response, 405, 'PURGE is not enabled\n');
    if (!authorized(request.headers.authorization, purgeToken)) return plain(response, 401, 'Unauthorized\n');
    const keys = String(request.headers['surrogate-key'] ?? '')
      .split(/\s+/)
      .filter((key) => key !== '');
    const cache = pages.options.cache;
    if (keys.length > 0) {
      const outcome = await cache.invalidateTags(keys).catch(() => 'failed');
      return plain(response, outcome === 'failed' ? 503 : 200, `purged ${keys.length} key(s): ${outcome}\n`);
    }
    // Purging a URL is what an unsafe request does to it (RFC 9111 §4.4).
    const lookup = await pages.handle({
      method: 'DELETE',
      scheme: 'http',
      host: request.headers.host,
      target: request.url ?? '/',
      headers: {},
    });
    if (lookup.kind === 'forward') lookup.exchange.head(200, {});
    return plain(response, 200, 'purged\n');
  }

  const proxy = Object.assign(handler, {
    async idle() {
      await Promise.all([...background]);
      // The page cache's own writes (a 304's freshened entry, a stored miss) and the cache's.
      await pages.idle();
    },
  });
  return proxy;
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Compare a bearer token in constant time. */
function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (match === null) return false;
  const given = Buffer.from(match[1] as string);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Header fields without hop-by-hop ones (RFC 9110 §7.6.1), those `Connection` names included. */
function withoutHopByHop(
  headers: IncomingHttpHeaders,
  connection: string | undefined,
): Record<string, string | string[]> {
  const drop = new Set([
    ...HOP_BY_HOP,
    ...(connection ?? '').split(',').map((name) => name.trim().toLowerCase()),
  ]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !drop.has(name)) out[name] = value;
  return out;
}

function appendVia(via: string | string[] | undefined): string {
  const current = Array.isArray(via) ? via.join(', ') : via;
  return current === undefined || current === '' ? VIA : `${current}, ${VIA}`;
}

/** Relay a 1xx response (RFC 9110 §15.2) as Node can send it. */
function relayInformation(response: ServerResponse, status: number, headers: IncomingHttpHeaders): void {
  if (status === 100) response.writeContinue();
  else if (status === 102) response.writeProcessing();
  else if (status === 103) response.writeEarlyHints(withoutHopByHop(headers, headers.connection));
}

/** Send a stored answer. */
function send(response: ServerResponse, answer: HttpAnswer, head: boolean): void {
  response.writeHead(answer.status, {
    ...(answer.headers as http.OutgoingHttpHeaders),
    via: appendVia(answer.headers.via as string | undefined),
  });
  const body = answer.body;
  // A view over the stored bytes, not a copy.
  response.end(
    head || body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  );
}
