/**
 * The Express page cache with real requests on an ephemeral port and a real
 * Redis: the leakage matrix, conditional requests and revalidation, the stale
 * extensions, request collapsing with hit-for-pass, the size cap, a client
 * that disconnects mid-page, unsafe methods, and Redis being unreachable.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { createHttpCache, type HttpCache } from '../../http/index.js';
import { redisStore } from '../../stores/redis/index.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { httpRequest } from '../../test-support/http-request.js';
import {
  type MatrixRequest,
  originResponse,
  runLeakageMatrix,
  scenarios,
} from '../../test-support/leakage-matrix.js';
import { startRedisServer } from '../../test-support/redis-server.js';
import { cachePage, cachePages, neverCache } from './index.js';

interface Server {
  readonly url: string;
  close(): Promise<void>;
}

async function listen(app: express.Express): Promise<Server> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fetchText(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return httpRequest(url, init);
}

describe('larder/express page cache (real HTTP, real Redis)', () => {
  let cache: Cache;
  let http: HttpCache;
  const servers: Server[] = [];
  before(() => {
    // A generous store timeout: these tests are about the page cache, not about a Redis slowed by
    // a loaded machine (a store that times out makes a collapsed page render twice, correctly).
    cache = createCache({
      store: redisStore({ url: redisUrl() }),
      prefix: uniquePrefix('express-pages'),
      storeTimeout: '2s',
    });
    http = createHttpCache({ cache, hosts: ['127.0.0.1', 'localhost'], logger: () => {} });
  });
  after(async () => {
    for (const server of servers) await server.close();
    await cache.clear();
    await cache.close();
  });

  async function serve(build: (app: express.Express) => void): Promise<string> {
    const app = express();
    build(app);
    const server = await listen(app);
    servers.push(server);
    return server.url;
  }

  it('passes the leakage matrix: user A’s response is never served to user B', async () => {
    const list = scenarios('/m', 'localhost');
    const calls = new Map<string, number>();
    const url = await serve((app) => {
      app.use(cachePages(http));
      app.get('/m/{*rest}', (req, res) => {
        calls.set(req.path, (calls.get(req.path) ?? 0) + 1);
        const answer = originResponse(list, req.path, req.originalUrl, req.headers as Record<string, string>);
        if (answer === undefined) return void res.sendStatus(404);
        res.status(answer.status).set(answer.headers).send(answer.body);
      });
    });
    await runLeakageMatrix(
      {
        name: 'express',
        request: (request: MatrixRequest) =>
          fetchText(`${url}${request.path}`, { method: request.method, headers: request.headers }),
        originCalls: (path) => calls.get(path) ?? 0,
        settle: () => http.idle(),
      },
      list,
    );
  });

  it('answers If-None-Match with 304 from a stored page, and sends Age', async () => {
    let calls = 0;
    const url = await serve((app) => {
      app.get('/etag', cachePage(http, { ttl: '1m' }), (_req, res) => {
        calls++;
        res.send('hello');
      });
    });
    const first = await fetchText(`${url}/etag`);
    await http.idle();
    const second = await fetchText(`${url}/etag`);
    assert.equal(second.headers['cache-status'], 'larder; hit');
    assert.match(second.headers.age ?? '', /^\d+$/);
    const etag = second.headers.etag as string;
    assert.ok(
      etag !== undefined && etag === first.headers.etag,
      'the stored page keeps the ETag it was sent with',
    );
    const conditional = await fetchText(`${url}/etag`, { headers: { 'if-none-match': etag } });
    assert.equal(conditional.status, 304);
    assert.equal(conditional.body, '');
    assert.equal(calls, 1);
  });

  it('revalidates a stale page with the origin, and a 304 from the origin updates the stored headers', async () => {
    let calls = 0;
    let version = 'v1';
    const url = await serve((app) => {
      app.get('/revalidate', cachePages(http), (_req, res) => {
        calls++;
        res.set('cache-control', 'max-age=1').set('x-version', version).send('same body');
      });
    });
    await fetchText(`${url}/revalidate`);
    await http.idle();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    version = 'v2';
    const stale = await fetchText(`${url}/revalidate`);
    assert.equal(stale.status, 200);
    assert.equal(stale.body, 'same body');
    assert.match(
      stale.headers['cache-status'] ?? '',
      /fwd=stale; stored/,
      'the origin answered 304 to the cache',
    );
    assert.equal(stale.headers['x-version'], 'v2', 'the 304’s fields replaced the stored ones');
    await http.idle();
    const after = await fetchText(`${url}/revalidate`);
    assert.equal(after.headers['cache-status'], 'larder; hit');
    assert.equal(after.headers['x-version'], 'v2');
    assert.equal(calls, 2);
  });

  it('stale-while-revalidate: stale pages are served while exactly one request refreshes', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const url = await serve((app) => {
      app.get('/swr', cachePage(http, { ttl: 1000, staleWhileRevalidate: '1m' }), async (_req, res) => {
        calls++;
        if (calls === 2)
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        res.send(`render ${calls}`);
      });
    });
    await fetchText(`${url}/swr`);
    await http.idle();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const refreshing = fetchText(`${url}/swr`);
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const others = await Promise.all(Array.from({ length: 20 }, () => fetchText(`${url}/swr`)));
    for (const other of others) {
      assert.equal(other.body, 'render 1');
      assert.match(other.headers['cache-status'] ?? '', /stale-while-revalidate/);
    }
    release();
    assert.equal((await refreshing).body, 'render 2');
    await http.idle();
    assert.equal((await fetchText(`${url}/swr`)).body, 'render 2');
    assert.equal(calls, 2, 'one refresh');
  });

  it('stale-if-error: a handler that throws is answered with the stale page', async () => {
    let fail = false;
    const url = await serve((app) => {
      app.get('/sie', cachePage(http, { ttl: 500, staleIfError: '1m' }), (_req, res) => {
        if (fail) throw new Error('database down');
        res.send('good page');
      });
    });
    await fetchText(`${url}/sie`);
    await http.idle();
    await new Promise((resolve) => setTimeout(resolve, 700));
    fail = true;
    const answer = await fetchText(`${url}/sie`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'good page');
    assert.match(answer.headers['cache-status'] ?? '', /stale-if-error/);
  });

  it('collapses 200 concurrent requests for a cold page into 1 handler call', async () => {
    let calls = 0;
    const url = await serve((app) => {
      app.get('/cold', cachePage(http, { ttl: '1m' }), async (_req, res) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        res.send('cold page');
      });
    });
    const answers = await Promise.all(Array.from({ length: 200 }, () => fetchText(`${url}/cold`)));
    assert.ok(answers.every((a) => a.body === 'cold page'));
    const { timeouts, errors } = cache.stats();
    assert.equal(calls, 1, `handler calls (store timeouts ${timeouts}, errors ${errors})`);
  });

  it('sends 200 concurrent requests for an uncacheable page each to the handler, without waiting for one another', async () => {
    let calls = 0;
    let inFlight = 0;
    let most = 0;
    const url = await serve((app) => {
      app.get('/uncacheable', cachePage(http, { ttl: '1m' }), async (_req, res) => {
        calls++;
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 200));
        inFlight--;
        res.set('cache-control', 'no-store').send('fresh every time');
      });
    });
    // The first response teaches the cache that the page is not storable...
    await fetchText(`${url}/uncacheable`);
    // ...so later ones run side by side instead of queueing (hit-for-pass).
    await Promise.all(Array.from({ length: 199 }, () => fetchText(`${url}/uncacheable`)));
    assert.equal(calls, 200);
    assert.ok(most > 20, `requests ran side by side (at most ${most} at once)`);
  });

  it('releases waiters at once when the first response of a cold page is not storable', async () => {
    let calls = 0;
    let inFlight = 0;
    let most = 0;
    const url = await serve((app) => {
      app.get('/private-cold', cachePage(http, { ttl: '1m' }), async (_req, res) => {
        calls++;
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight--;
        res.set('cache-control', 'private').send('yours');
      });
    });
    const answers = await Promise.all(Array.from({ length: 50 }, () => fetchText(`${url}/private-cold`)));
    assert.ok(answers.every((a) => a.body === 'yours'));
    assert.equal(calls, 50);
    // Released waiters do not queue behind one another (each would wait out the last one's 100 ms).
    assert.ok(most > 10, `released waiters ran side by side (at most ${most} at once)`);
  });

  it('passes a body over the cap through uncached, and a streamed body too', async () => {
    const small = createHttpCache({
      cache,
      hosts: ['127.0.0.1'],
      maxBodyBytes: 1000,
      ttl: '1m',
      logger: () => {},
    });
    let calls = 0;
    const url = await serve((app) => {
      app.get('/big', cachePages(small), (_req, res) => {
        calls++;
        res.send('x'.repeat(5000));
      });
      app.get('/stream', cachePages(small), async (_req, res) => {
        calls++;
        res.type('text/plain');
        for (let i = 0; i < 10; i++) {
          res.write('y'.repeat(300));
          await new Promise((resolve) => setImmediate(resolve));
        }
        res.end();
      });
    });
    for (const path of ['/big', '/big', '/stream', '/stream']) {
      const answer = await fetchText(`${url}${path}`);
      assert.equal(answer.body.length, path === '/big' ? 5000 : 3000);
      await http.idle();
    }
    assert.equal(calls, 4);
  });

  it('stores nothing when the client disconnects mid-page, and its waiters are served by the origin', async () => {
    let calls = 0;
    const url = await serve((app) => {
      app.get('/disconnect', cachePage(http, { ttl: '1m' }), async (_req, res) => {
        calls++;
        res.type('text/plain');
        res.write('part one;');
        await new Promise((resolve) => setTimeout(resolve, 150));
        if (!res.destroyed) res.end('part two');
      });
    });
    const controller = new AbortController();
    const leader = httpRequest(`${url}/disconnect`, { signal: controller.signal })
      .then((r) => r.body)
      .catch(() => 'aborted');
    while (calls < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const waiter = fetchText(`${url}/disconnect`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    assert.equal(await leader, 'aborted');
    assert.equal((await waiter).body, 'part one;part two');
    await http.idle();
    const next = await fetchText(`${url}/disconnect`);
    assert.equal(next.body, 'part one;part two');
  });

  it('invalidates a page when an unsafe request to its URL succeeds, before the response ends (RFC 9111 §4.4)', async () => {
    let price = 10;
    const url = await serve((app) => {
      app.use(express.text());
      app.get('/product', cachePage(http, { ttl: '1m' }), (_req, res) => void res.send(`price ${price}`));
      // Post/redirect/get: the redirect is followed at once, so the page must be invalid by then.
      app.post('/product', cachePage(http), (req, res) => {
        price = Number(req.body);
        res.redirect(303, '/product');
      });
    });
    assert.equal((await fetchText(`${url}/product`)).body, 'price 10');
    await http.idle();
    assert.equal((await fetchText(`${url}/product`)).headers['cache-status'], 'larder; hit');
    for (const next of [12, 13, 14]) {
      const posted = await fetchText(`${url}/product`, {
        method: 'POST',
        body: String(next),
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(posted.status, 303);
      assert.equal((await fetchText(`${url}/product`)).body, `price ${next}`);
      await http.idle();
    }
  });

  it('neverCache() marks the response no-store, private: never stored', async () => {
    let calls = 0;
    const url = await serve((app) => {
      app.get('/account', cachePages(http), neverCache(), (_req, res) => {
        calls++;
        res.send('account');
      });
    });
    const first = await fetchText(`${url}/account`);
    assert.equal(first.headers['cache-control'], 'no-store, private');
    await http.idle();
    await fetchText(`${url}/account`);
    assert.equal(calls, 2);
  });

  it('serves pages from the app when Redis is unreachable, each request within the store’s timeout', async () => {
    const down = createCache({
      store: redisStore({ url: 'redis://127.0.0.1:1', connectTimeout: 200 }),
      prefix: uniquePrefix('express-down'),
      logger: () => {},
    });
    const pages = createHttpCache({ cache: down, hosts: ['127.0.0.1'], ttl: '1m', logger: () => {} });
    let calls = 0;
    const url = await serve((app) => {
      app.get('/down', cachePages(pages), (_req, res) => {
        calls++;
        res.send('rendered');
      });
    });
    for (let i = 0; i < 3; i++) assert.equal((await fetchText(`${url}/down`)).body, 'rendered');
    assert.equal(calls, 3);
    await down.close();
  });

  it('sees what a middleware after it adds at writeHead time (Set-Cookie, Vary: Cookie), as session middleware does', async () => {
    let calls = 0;
    /** Like express-session / on-headers: a field set as the head is written, after the handler. */
    const atHead =
      (name: string, value: string): express.RequestHandler =>
      (_req, res, next) => {
        const writeHead = res.writeHead;
        res.writeHead = function (this: typeof res, ...args: unknown[]) {
          this.setHeader(name, value);
          return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
        } as typeof res.writeHead;
        next();
      };
    const url = await serve((app) => {
      app.use(cachePages(http));
      app.get('/late-cookie', atHead('set-cookie', 'sid=fresh'), (_req, res) => {
        calls++;
        res.set('cache-control', 'max-age=60').send('page with a late cookie');
      });
      app.get('/late-vary', atHead('vary', 'Cookie'), (req, res) => {
        calls++;
        res.set('cache-control', 'max-age=60').send(`page for ${String(req.headers['x-user'])}`);
      });
    });
    await fetchText(`${url}/late-cookie`);
    await http.idle();
    const again = await fetchText(`${url}/late-cookie`);
    assert.equal(again.headers['cache-status'], undefined, 'a response with a late Set-Cookie is not stored');
    assert.equal(calls, 2);
    await fetchText(`${url}/late-vary`, { headers: { cookie: 'sid=a', 'x-user': 'a' } });
    await http.idle();
    const other = await fetchText(`${url}/late-vary`, { headers: { cookie: 'sid=b', 'x-user': 'b' } });
    assert.equal(other.body, 'page for b', 'the late Vary: Cookie keys the stored page');
    const same = await fetchText(`${url}/late-vary`, { headers: { cookie: 'sid=a', 'x-user': 'a' } });
    assert.equal(same.headers['cache-status'], 'larder; hit');
    assert.equal(same.body, 'page for a');
  });

  it('stores nothing when the response stream fails midway, and no waiter hangs', async () => {
    let calls = 0;
    const url = await serve((app) => {
      app.get('/broken', cachePage(http, { ttl: '1m' }), async (_req, res) => {
        calls++;
        res.type('text/plain');
        res.write('half a page;');
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (calls === 1) res.destroy(new Error('the template engine failed'));
        else res.end('whole');
      });
    });
    const leader = fetchText(`${url}/broken`).catch(() => 'failed');
    while (calls < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const waiters = Promise.all(Array.from({ length: 5 }, () => fetchText(`${url}/broken`)));
    assert.equal(await leader, 'failed');
    for (const waiter of await waiters) assert.equal(waiter.body, 'half a page;whole');
    await http.idle();
    const next = await fetchText(`${url}/broken`);
    assert.equal(next.body, 'half a page;whole', 'the broken response was never stored');
  });

  it('serves pages from the app while its Redis is frozen (SIGSTOP), each lookup bounded by the store timeout', async () => {
    const server = await startRedisServer();
    const frozen = createCache({
      store: redisStore({ url: server.url }),
      prefix: uniquePrefix('express-frozen'),
      storeTimeout: 100,
      logger: () => {},
    });
    const pages = createHttpCache({ cache: frozen, hosts: ['127.0.0.1'], ttl: '1m', logger: () => {} });
    let calls = 0;
    const url = await serve((app) => {
      app.get('/frozen', cachePages(pages), (_req, res) => {
        calls++;
        res.send(`render ${calls}`);
      });
    });
    try {
      assert.equal((await fetchText(`${url}/frozen`)).body, 'render 1');
      await pages.idle();
      assert.equal((await fetchText(`${url}/frozen`)).headers['cache-status'], 'larder; hit');
      server.freeze();
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const answer = await fetchText(`${url}/frozen`);
        const took = performance.now() - started;
        assert.match(answer.body, /^render \d+$/);
        // The store timeout is 100 ms; the bound is generous for a loaded machine.
        assert.ok(took < 2_000, `a request took ${took.toFixed(0)} ms while Redis was frozen`);
      }
      assert.ok(calls >= 2, 'the app rendered the page while Redis did not answer');
    } finally {
      server.thaw();
      await pages.idle();
      await frozen.close();
      await server.stop();
    }
  });
});
