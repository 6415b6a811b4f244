/**
 * The caching proxy over real sockets, in front of a plain node:http origin,
 * on a real Redis: the leakage matrix, bodies and 1xx relayed, revalidation,
 * stale-while-revalidate in the background, stale-if-error with the origin
 * down, and PURGE by surrogate key.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/index.js';
import { redisUrl, uniquePrefix } from '../test-support/env.js';
import { httpRequest } from '../test-support/http-request.js';
import { originResponse, runLeakageMatrix, scenarios } from '../test-support/leakage-matrix.js';
import { type CachingProxy, createCachingProxy } from './index.js';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

async function listen(handler: Handler): Promise<{ url: string; port: number; server: http.Server }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, server };
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

describe('createCachingProxy (real sockets, real Redis)', () => {
  let cache: Cache;
  const servers: http.Server[] = [];
  const proxies: CachingProxy[] = [];
  before(() => {
    // A generous store timeout: a Redis slowed by a loaded machine is not what these tests test.
    cache = createCache({
      store: redisStore({ url: redisUrl() }),
      prefix: uniquePrefix('proxy'),
      storeTimeout: '2s',
    });
  });
  after(async () => {
    for (const proxy of proxies) await proxy.idle();
    for (const server of servers) await close(server);
    await cache.clear();
    await cache.close();
  });

  /** An origin and a proxy in front of it; returns the proxy's URL. */
  async function front(origin: Handler, options: { purgeToken?: string } = {}) {
    const upstream = await listen(origin);
    servers.push(upstream.server);
    const proxy = createCachingProxy({ origin: upstream.url, cache, logger: () => {}, ...options });
    proxies.push(proxy);
    const server = await listen(proxy);
    servers.push(server.server);
    return { url: server.url, proxy, upstream };
  }

  it('passes the leakage matrix: user A’s response is never served to user B', async () => {
    const list = scenarios('/m', 'localhost');
    const calls = new Map<string, number>();
    const { url, proxy } = await front((request, response) => {
      const target = request.url ?? '/';
      const path = target.split('?')[0] as string;
      calls.set(path, (calls.get(path) ?? 0) + 1);
      const answer = originResponse(list, path, target, request.headers as Record<string, string>);
      if (answer === undefined) return void response.writeHead(404).end();
      response.writeHead(answer.status, answer.headers);
      response.end(request.method === 'HEAD' ? undefined : answer.body);
    });
    await runLeakageMatrix(
      {
        name: 'proxy',
        request: (request) =>
          httpRequest(`${url}${request.path}`, { method: request.method, headers: request.headers }),
        originCalls: (path) => calls.get(path) ?? 0,
        settle: () => proxy.idle(),
      },
      list,
    );
  });

  it('forwards request bodies and unsafe methods unchanged, adds Via, and relays 103 Early Hints', async () => {
    const { url } = await front((request, response) => {
      if (request.url === '/hints') {
        response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('after hints');
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(201, { 'content-type': 'text/plain', 'x-via-seen': String(request.headers.via) });
        response.end(`${request.method} ${Buffer.concat(chunks).toString()}`);
      });
    });
    const posted = await httpRequest(`${url}/echo`, {
      method: 'POST',
      body: 'a=1&b=2',
      headers: { host: 'localhost' },
    });
    assert.equal(posted.status, 201);
    assert.equal(posted.body, 'POST a=1&b=2');
    assert.equal(posted.headers['x-via-seen'], '1.1 larder');
    assert.match(posted.headers.via ?? '', /1\.1 larder/);
    const hints: string[] = [];
    const answer = await new Promise<string>((resolve, reject) => {
      const request = http.get(`${url}/hints`, { headers: { host: 'localhost' }, agent: false });
      request.on('information', (info) => hints.push(`${info.statusCode} ${info.headers.link}`));
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve(body));
      });
      request.on('error', reject);
    });
    assert.equal(answer, 'after hints');
    assert.deepEqual(hints, ['103 </style.css>; rel=preload; as=style']);
  });

  it('stores nothing without explicit freshness or Last-Modified (no default TTL in proxy mode)', async () => {
    let calls = 0;
    const { url, proxy } = await front((_request, response) => {
      calls++;
      response.writeHead(200, { 'content-type': 'text/plain' }).end('no freshness');
    });
    for (let i = 0; i < 3; i++) {
      await httpRequest(`${url}/plain`, { headers: { host: 'localhost' } });
      await proxy.idle();
    }
    assert.equal(calls, 3);
  });

  it('revalidates with the origin’s ETag and serves the freshened response on a 304', async () => {
    let full = 0;
    let notModified = 0;
    const { url, proxy } = await front((request, response) => {
      if (request.headers['if-none-match'] === '"v1"') {
        notModified++;
        return void response
          .writeHead(304, {
            etag: '"v1"',
            'cache-control': 'max-age=1',
            'x-checked': String(notModified),
            'set-cookie': 'seen=1',
          })
          .end();
      }
      full++;
      response
        .writeHead(200, { etag: '"v1"', 'cache-control': 'max-age=1', 'content-type': 'text/plain' })
        .end('body v1');
    });
    await httpRequest(`${url}/etag`, { headers: { host: 'localhost' } });
    await proxy.idle();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const revalidated = await httpRequest(`${url}/etag`, { headers: { host: 'localhost' } });
    assert.equal(revalidated.body, 'body v1');
    assert.equal(revalidated.headers['x-checked'], '1');
    assert.equal(
      revalidated.headers['set-cookie'],
      'seen=1',
      'the 304’s cookie reaches the client that caused it',
    );
    await proxy.idle();
    const later = await httpRequest(`${url}/etag`, { headers: { host: 'localhost' } });
    assert.equal(later.headers['cache-status'], 'larder; hit');
    assert.equal(later.headers['set-cookie'], undefined, 'and is never stored or replayed');
    await proxy.idle();
    const hit = await httpRequest(`${url}/etag`, { headers: { host: 'localhost', 'if-none-match': '"v1"' } });
    assert.equal(hit.status, 304);
    assert.equal(full, 1);
    assert.equal(notModified, 1);
  });

  it('stale-while-revalidate: answers stale at once and refreshes in the background, once', async () => {
    let calls = 0;
    const { url, proxy } = await front((_request, response) => {
      calls++;
      const n = calls;
      setTimeout(
        () => {
          response
            .writeHead(200, {
              'cache-control': 'max-age=1, stale-while-revalidate=60',
              'content-type': 'text/plain',
            })
            .end(`render ${n}`);
        },
        n === 1 ? 0 : 200,
      );
    });
    await httpRequest(`${url}/swr`, { headers: { host: 'localhost' } });
    await proxy.idle();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => httpRequest(`${url}/swr`, { headers: { host: 'localhost' } })),
    );
    for (const answer of answers) assert.equal(answer.body, 'render 1');
    await proxy.idle();
    assert.equal(calls, 2, 'one background refresh');
    assert.equal((await httpRequest(`${url}/swr`, { headers: { host: 'localhost' } })).body, 'render 2');
  });

  it('stale-if-error: answers stale when the origin is down or answers 5xx', async () => {
    let status = 200;
    const { url, proxy, upstream } = await front((_request, response) => {
      response
        .writeHead(status, { 'cache-control': 'max-age=1, stale-if-error=60', 'content-type': 'text/plain' })
        .end(status === 200 ? 'good page' : 'broken');
    });
    await httpRequest(`${url}/sie`, { headers: { host: 'localhost' } });
    await proxy.idle();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    status = 503;
    const onError = await httpRequest(`${url}/sie`, { headers: { host: 'localhost' } });
    assert.equal(onError.body, 'good page');
    assert.match(onError.headers['cache-status'] ?? '', /stale-if-error/);
    await close(upstream.server);
    const onDown = await httpRequest(`${url}/sie`, { headers: { host: 'localhost' } });
    assert.equal(onDown.status, 200);
    assert.equal(onDown.body, 'good page');
    const missDown = await httpRequest(`${url}/never-stored`, { headers: { host: 'localhost' } });
    assert.equal(missDown.status, 502);
  });

  it('PURGE by surrogate key needs the token, and purges every page carrying the key', async () => {
    let calls = 0;
    const token = 'purge-token-0123456789';
    const { url } = await front(
      (request, response) => {
        calls++;
        response
          .writeHead(200, {
            'cache-control': 'max-age=60',
            'surrogate-key': `all ${request.url?.slice(1)}`,
            'content-type': 'text/plain',
          })
          .end(`page ${request.url}`);
      },
      { purgeToken: token },
    );
    const host = { host: 'localhost' };
    for (const path of ['/a', '/b', '/a', '/b']) await httpRequest(`${url}${path}`, { headers: host });
    assert.equal(calls, 2);
    const denied = await httpRequest(url, {
      method: 'PURGE',
      headers: { ...host, 'surrogate-key': 'a', authorization: 'Bearer wrong-token-0000000000' },
    });
    assert.equal(denied.status, 401);
    const purged = await httpRequest(url, {
      method: 'PURGE',
      headers: { ...host, 'surrogate-key': 'a', authorization: `Bearer ${token}` },
    });
    assert.equal(purged.status, 200);
    await httpRequest(`${url}/a`, { headers: host });
    await httpRequest(`${url}/b`, { headers: host });
    assert.equal(calls, 3, `only /a was purged (${calls} origin calls, purge said ${purged.body})`);
    const stored = await httpRequest(`${url}/b`, { headers: host });
    assert.ok(!('surrogate-key' in stored.headers), 'surrogate keys are not replayed');
  });

  it('refuses PURGE when no token is configured', async () => {
    const { url } = await front((_request, response) => void response.writeHead(200).end('x'));
    const answer = await httpRequest(url, {
      method: 'PURGE',
      headers: { host: 'localhost', 'surrogate-key': 'x' },
    });
    assert.equal(answer.status, 405);
  });
});
