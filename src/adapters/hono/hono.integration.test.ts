/**
 * `larder/hono` on a real Redis, through Hono's `app.request`: hits, HEAD and
 * conditional requests answered from the cache, what is never stored, cookie
 * reads (`getCookie`, `c.req.header`) making per-user variants, request
 * collapsing, stale-if-error, invalidation by POST, and the middleware order
 * (what a middleware inside the cache adds is seen).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { createHttpCache, type HttpCache } from '../../http/http-cache.js';
import type { HttpCacheOptions } from '../../http/http-cache-options.js';
import { httpRequest } from '../../test-support/http-request.js';
import { originResponse, runLeakageMatrix, scenarios } from '../../test-support/leakage-matrix.js';
import { testCaches } from '../../test-support/test-caches.js';
import { cachePage, cachePages, neverCache } from './index.js';

const caches = testCaches('hono');
const newCache = caches.newCache;

after(async () => {
  await caches.closeAll();
});

function assertHit(response: Response): void {
  assert.equal(response.headers.get('cache-status'), 'larder; hit');
}

async function newHttp(options: Partial<HttpCacheOptions> = {}): Promise<HttpCache> {
  return createHttpCache({
    cache: await newCache(),
    hosts: ['localhost'],
    logger: { warn: () => {} },
    ...options,
  });
}

describe('larder/hono', () => {
  it('passes the leakage matrix over real HTTP (@hono/node-server): user A’s response is never served to user B', async () => {
    const list = scenarios('/m', 'localhost');
    const calls = new Map<string, number>();
    const pages = await newHttp();
    const app = new Hono();
    app.use(cachePages(pages));
    app.get('/m/*', (c) => {
      const url = new URL(c.req.url);
      calls.set(url.pathname, (calls.get(url.pathname) ?? 0) + 1);
      // Only the fields the scenario's handler reads are read (a read of the cookie varies the page).
      const headers = new Proxy({} as Record<string, string | undefined>, {
        get: (_target, name) => c.req.header(String(name)),
      });
      const answer = originResponse(list, url.pathname, url.pathname + url.search, headers);
      if (answer === undefined) return c.notFound();
      const response = new Response(answer.body, { status: answer.status });
      for (const [name, value] of Object.entries(answer.headers))
        for (const line of Array.isArray(value) ? value : [value]) response.headers.append(name, line);
      return response;
    });
    const server = http.createServer(getRequestListener(app.fetch));
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await runLeakageMatrix(
        {
          name: 'hono',
          request: (request) =>
            httpRequest(`${base}${request.path}`, { method: request.method, headers: request.headers }),
          originCalls: (path) => calls.get(path) ?? 0,
          settle: () => pages.idle(),
        },
        list,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('serves a hit after a miss, with Cache-Status and Age', async () => {
    let calls = 0;
    const app = new Hono();
    app.get('/page', cachePage(await newHttp(), { ttl: '1m' }), (c) => {
      calls++;
      return c.html('<p>hello</p>');
    });
    const miss = await app.request('/page');
    assert.equal(miss.status, 200);
    assert.equal(await miss.text(), '<p>hello</p>');
    const hit = await app.request('/page');
    assertHit(hit);
    assert.equal(await hit.text(), '<p>hello</p>');
    assert.match(String(hit.headers.get('age')), /^\d+$/);
    assert.match(String(hit.headers.get('content-type')), /text\/html/);
    assert.equal(calls, 1);
  });

  it('answers If-None-Match with a 304 from the cache, and HEAD from the stored GET', async () => {
    let calls = 0;
    const app = new Hono();
    app.get('/page', cachePage(await newHttp(), { ttl: '1m' }), (c) => {
      calls++;
      return c.text('twelve bytes');
    });
    await (await app.request('/page')).text();
    const hit = await app.request('/page');
    const etag = String(hit.headers.get('etag'));
    assert.match(etag, /^"/);
    const conditional = await app.request('/page', { headers: { 'if-none-match': etag } });
    assert.equal(conditional.status, 304);
    assert.equal(await conditional.text(), '');
    assertHit(conditional);
    const head = await app.request('/page', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assertHit(head);
    assert.equal(head.headers.get('content-length'), '12');
    assert.equal(await head.text(), '');
    assert.equal(calls, 1);
  });

  it('stores no response that sets a cookie, is no-store or private, or comes through neverCache()', async () => {
    const calls = { cookie: 0, noStore: 0, private: 0, never: 0, neverOutside: 0 };
    const app = new Hono();
    app.get('/never-outside', neverCache());
    app.use(cachePages(await newHttp({ ttl: '1m' })));
    app.get('/cookie', (c) => {
      calls.cookie++;
      c.header('set-cookie', 'sid=1');
      return c.text('x');
    });
    app.get('/no-store', (c) => {
      calls.noStore++;
      return c.text('x', 200, { 'cache-control': 'no-store' });
    });
    app.get('/private', (c) => {
      calls.private++;
      return c.text('x', 200, { 'cache-control': 'private, max-age=60' });
    });
    // neverCache runs after the handler: the handler cannot undo it.
    app.get('/never', neverCache(), (c) => {
      calls.never++;
      return c.text('x', 200, { 'cache-control': 'public, max-age=60' });
    });
    app.get('/never-outside', (c) => {
      calls.neverOutside++;
      return c.text('x', 200, { 'cache-control': 'public, max-age=60' });
    });
    for (let i = 0; i < 3; i++) {
      for (const url of ['/cookie', '/no-store', '/private', '/never', '/never-outside']) {
        const res = await app.request(url);
        assert.equal(await res.text(), 'x', url);
        assert.equal(res.headers.get('cache-status'), null, url);
      }
    }
    assert.deepEqual(calls, { cookie: 3, noStore: 3, private: 3, never: 3, neverOutside: 3 });
    assert.equal((await app.request('/never')).headers.get('cache-control'), 'no-store, private');
  });

  it('bypasses requests with Authorization unless the route varies on it', async () => {
    let shared = 0;
    let perUser = 0;
    const http = await newHttp();
    const app = new Hono();
    app.get('/shared', cachePage(http, { ttl: '1m' }), (c) => c.text(`shared ${++shared}`));
    app.get('/per-user', cachePage(http, { ttl: '1m', vary: ['authorization'] }), (c) =>
      c.text(`for ${c.req.header('authorization')} ${++perUser}`),
    );
    await (await app.request('/shared')).text();
    assertHit(await app.request('/shared'));
    const withAuth = await app.request('/shared', { headers: { authorization: 'Bearer a' } });
    assert.equal(withAuth.headers.get('cache-status'), null);
    assert.equal(await withAuth.text(), 'shared 2');

    const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    assert.equal(await (await app.request('/per-user', auth('a'))).text(), 'for Bearer a 1');
    const a2 = await app.request('/per-user', auth('a'));
    assertHit(a2);
    assert.equal(await a2.text(), 'for Bearer a 1');
    assert.equal(await (await app.request('/per-user', auth('b'))).text(), 'for Bearer b 2');
  });

  it("varies on Cookie when the handler read it: user A's page is never served to B", async () => {
    let calls = 0;
    const app = new Hono();
    app.use(cachePages(await newHttp({ ttl: '1m' })));
    app.get('/me', (c) => {
      calls++;
      return c.text(`hello ${getCookie(c, 'user') ?? 'anonymous'}`);
    });
    app.get('/raw', (c) => c.text(`raw ${c.req.header('cookie') ?? 'none'} ${++calls}`));
    app.get('/static', (c) => c.text('same for all'));
    const cookie = (user: string) => ({ headers: { cookie: `user=${user}` } });
    const a1 = await app.request('/me', cookie('a'));
    assert.equal(await a1.text(), 'hello a');
    assert.match(String(a1.headers.get('vary')), /cookie/i);
    assertHit(await app.request('/me', cookie('a')));
    const b = await app.request('/me', cookie('b'));
    assert.equal(await b.text(), 'hello b');
    assert.equal(b.headers.get('cache-status'), null);
    assert.equal(await (await app.request('/me')).text(), 'hello anonymous');
    assert.equal(calls, 3);

    assert.equal(await (await app.request('/raw', cookie('a'))).text(), 'raw user=a 4');
    assert.equal(await (await app.request('/raw', cookie('b'))).text(), 'raw user=b 5');

    // A handler that never reads the cookie shares one copy between users.
    await (await app.request('/static', cookie('a'))).text();
    assertHit(await app.request('/static', cookie('b')));
  });

  it('sees what a middleware inside it adds: Vary: Cookie or Set-Cookie', async () => {
    let calls = 0;
    const app = new Hono();
    app.use(cachePages(await newHttp({ ttl: '1m' })));
    app.use(async (c, next) => {
      await next();
      if (c.req.path === '/varies') c.header('Vary', 'Cookie');
      if (c.req.path === '/sets-cookie') c.header('Set-Cookie', 'tracking=1');
    });
    app.get('/varies', (c) => c.text(`page ${++calls}`));
    app.get('/sets-cookie', (c) => c.text(`page ${++calls}`));
    await (await app.request('/varies', { headers: { cookie: 'u=a' } })).text();
    assertHit(await app.request('/varies', { headers: { cookie: 'u=a' } }));
    const other = await app.request('/varies', { headers: { cookie: 'u=b' } });
    assert.equal(other.headers.get('cache-status'), null, 'the Vary added inside keys the copy');
    for (let i = 0; i < 3; i++)
      assert.equal((await app.request('/sets-cookie')).headers.get('cache-status'), null);
  });

  it('lets a cachePage on the route take over from cachePages', async () => {
    let calls = 0;
    const app = new Hono();
    // Without a TTL of its own the site-wide middleware would store nothing (no freshness in the headers).
    app.use(cachePages(await newHttp()));
    app.get('/page', cachePage(await newHttp(), { ttl: '1m' }), (c) => c.text(`page ${++calls}`));
    await (await app.request('/page')).text();
    assertHit(await app.request('/page'));
    assert.equal(calls, 1);
  });

  it('stores a 404 only as the rules allow, and a 500 never without a route TTL', async () => {
    const calls = { missing: 0, missingTtl: 0, error: 0 };
    const http = await newHttp();
    const app = new Hono();
    app.get('/missing', cachePage(http), (c) => {
      calls.missing++;
      return c.text('no', 404);
    });
    app.get('/missing-ttl', cachePage(http, { ttl: '1m' }), (c) => {
      calls.missingTtl++;
      return c.text('no', 404);
    });
    app.get('/error', cachePage(http), (c) => {
      calls.error++;
      return c.text('oops', 500);
    });
    for (let i = 0; i < 3; i++)
      for (const url of ['/missing', '/error']) await (await app.request(url)).text();
    await (await app.request('/missing-ttl')).text();
    const hit = await app.request('/missing-ttl');
    assertHit(hit);
    assert.equal(hit.status, 404);
    assert.deepEqual(calls, { missing: 3, missingTtl: 1, error: 3 });
  });

  it('passes a body over the cap through uncached, and stores a small stream', async () => {
    const calls = { big: 0, small: 0 };
    const chunks = (count: number, text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < count; i++) controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      });
    const app = new Hono();
    app.use(cachePages(await newHttp({ ttl: '1m', maxBodyBytes: 1_000 })));
    app.get('/big', (c) => {
      calls.big++;
      return c.body(chunks(50, 'y'.repeat(100)));
    });
    app.get('/small', (c) => {
      calls.small++;
      return c.body(chunks(3, 'ab'));
    });
    for (let i = 0; i < 3; i++) assert.equal(await (await app.request('/big')).text(), 'y'.repeat(5_000));
    assert.equal(calls.big, 3);
    assert.equal(await (await app.request('/small')).text(), 'ababab');
    const hit = await app.request('/small');
    assertHit(hit);
    assert.equal(await hit.text(), 'ababab');
    assert.equal(calls.small, 1);
  });

  it('200 concurrent requests to a cold page make 1 handler call', async () => {
    let calls = 0;
    const app = new Hono();
    app.get('/cold', cachePage(await newHttp(), { ttl: '1m' }), async (c) => {
      calls++;
      await sleep(50);
      return c.text('cold page');
    });
    const bodies = await Promise.all(
      Array.from({ length: 200 }, async () => (await app.request('/cold')).text()),
    );
    assert.equal(calls, 1);
    assert.ok(bodies.every((body) => body === 'cold page'));
  });

  it('200 concurrent requests to an uncacheable page make 200 calls, without waiting for one another', async () => {
    let calls = 0;
    const app = new Hono();
    app.get('/uncacheable', cachePage(await newHttp({ collapseWait: '5s' }), { ttl: '1m' }), async (c) => {
      calls++;
      await sleep(50);
      return c.text('fresh', 200, { 'cache-control': 'no-store' });
    });
    const startedAt = Date.now();
    const bodies = await Promise.all(
      Array.from({ length: 200 }, async () => (await app.request('/uncacheable')).text()),
    );
    const elapsedMs = Date.now() - startedAt;
    assert.equal(calls, 200);
    assert.ok(bodies.every((body) => body === 'fresh'));
    // Waiting for the collapse bound would take 5 s; released at the first response's head: ~2 x 50 ms.
    assert.ok(elapsedMs < 2_500, `${elapsedMs} ms`);
  });

  it('keeps collapsing after a conditional miss that the handler answered 304', async () => {
    let calls = 0;
    const app = new Hono();
    app.get('/etagged', cachePage(await newHttp(), { ttl: '1m' }), async (c) => {
      calls++;
      await sleep(50);
      c.header('etag', '"v1"');
      if (c.req.header('if-none-match') === '"v1"') return c.body(null, 304);
      return c.text('page');
    });
    const conditional = await app.request('/etagged', { headers: { 'if-none-match': '"v1"' } });
    assert.equal(conditional.status, 304);
    const bodies = await Promise.all(
      Array.from({ length: 20 }, async () => (await app.request('/etagged')).text()),
    );
    assert.ok(bodies.every((body) => body === 'page'));
    assert.equal(calls, 2, 'one call for the conditional miss, one for the 20 collapsed requests');
  });

  it('serves the stale page when the handler throws, within staleIfError', async () => {
    let fail = false;
    const app = new Hono();
    app.get('/flaky', cachePage(await newHttp(), { ttl: 100, staleIfError: '1m' }), (c) => {
      if (fail) throw new Error('database down');
      return c.text('last good page');
    });
    await (await app.request('/flaky')).text();
    assertHit(await app.request('/flaky'));
    await sleep(250);
    fail = true;
    const res = await app.request('/flaky');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'last good page');
    assert.match(String(res.headers.get('cache-status')), /stale-if-error/);
  });

  it('invalidates the URL on an unsafe method (POST)', async () => {
    let version = 1;
    const app = new Hono();
    app.use(cachePages(await newHttp({ ttl: '1m' })));
    app.get('/items', (c) => c.text(`items v${version}`));
    app.post('/items', (c) => {
      version++;
      return c.json({ ok: true });
    });
    await (await app.request('/items')).text();
    assertHit(await app.request('/items'));
    assert.equal((await app.request('/items', { method: 'POST' })).status, 200);
    // The POST's response was sent once the invalidation was stored: the next GET renders.
    assert.equal(await (await app.request('/items')).text(), 'items v2');
  });

  it('rejects invalid route options when the middleware is made', async () => {
    const http = await newHttp();
    assert.throws(() => cachePage(http, { ttl: 'soon' as '1m' }), /ttl/);
  });
});
