/**
 * `larder/fastify` on a real Redis, through Fastify's `inject`: hits, HEAD and
 * conditional requests answered from the cache, what is never stored, cookie
 * reads making per-user variants, request collapsing, stale-if-error,
 * invalidation by POST, and the hook order (a later onSend hook is seen).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HttpCacheOptions } from '../../http/http-cache-options.js';
import { originResponse, runLeakageMatrix, scenarios } from '../../test-support/leakage-matrix.js';
import { testCaches } from '../../test-support/test-caches.js';
import { fastifyLarder, neverCache } from './index.js';

const caches = testCaches('fastify');
const apps: FastifyInstance[] = [];
const newCache = caches.newCache;

after(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await caches.closeAll();
});

/** A Fastify app with the plugin registered; `routes` adds routes after it. */
async function newApp(
  routes: (app: FastifyInstance) => void,
  options: Partial<HttpCacheOptions> & { allRoutes?: boolean } = {},
): Promise<FastifyInstance> {
  const { allRoutes, ...http } = options;
  const app = Fastify();
  apps.push(app);
  const cache = await newCache();
  await app.register(fastifyLarder, {
    http: { cache, hosts: ['localhost'], logger: { warn: () => {} }, ...http },
    ...(allRoutes === undefined ? {} : { allRoutes }),
  });
  routes(app);
  await app.ready();
  return app;
}

function assertHit(response: { headers: Record<string, unknown> }): void {
  assert.equal(response.headers['cache-status'], 'larder; hit');
}

describe('larder/fastify', () => {
  it('passes the leakage matrix through inject: user A’s response is never served to user B', async () => {
    const list = scenarios('/m', 'localhost');
    const calls = new Map<string, number>();
    const app = await newApp(
      (a) =>
        a.get('/m/*', async (request, reply) => {
          const path = request.url.split('?')[0] as string;
          calls.set(path, (calls.get(path) ?? 0) + 1);
          const answer = originResponse(list, path, request.url, request.headers as Record<string, string>);
          if (answer === undefined) return reply.code(404).send();
          return reply.code(answer.status).headers(answer.headers).send(answer.body);
        }),
      { allRoutes: true },
    );
    await runLeakageMatrix(
      {
        name: 'fastify',
        async request(request) {
          const response = await app.inject({
            method: request.method,
            url: request.path,
            headers: request.headers,
          });
          const headers: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(response.headers))
            headers[name] = Array.isArray(value)
              ? value.join(', ')
              : value === undefined
                ? undefined
                : String(value);
          return { status: response.statusCode, headers, body: response.body };
        },
        originCalls: (path) => calls.get(path) ?? 0,
        settle: () => app.larder.idle(),
      },
      list,
    );
  });

  it('serves a hit after a miss, with Cache-Status and Age', async () => {
    let calls = 0;
    const app = await newApp((a) =>
      a.get('/page', { config: { larder: { ttl: '1m' } } }, async (_req, reply) => {
        calls++;
        return reply.type('text/html').send('<p>hello</p>');
      }),
    );
    const miss = await app.inject('/page');
    assert.equal(miss.statusCode, 200);
    assert.equal(miss.body, '<p>hello</p>');
    assertHit(await app.inject('/page'));
    const hit = await app.inject('/page');
    assert.equal(hit.headers['cache-status'], 'larder; hit');
    assert.equal(hit.body, '<p>hello</p>');
    assert.match(String(hit.headers.age), /^\d+$/);
    assert.equal(hit.headers['content-type'], 'text/html');
    assert.equal(calls, 1);
  });

  it('answers If-None-Match with a 304 from the cache', async () => {
    let calls = 0;
    const app = await newApp((a) =>
      a.get('/page', { config: { larder: { ttl: '1m' } } }, async () => {
        calls++;
        return 'body';
      }),
    );
    await app.inject('/page');
    const etag = String((await app.inject('/page')).headers.etag);
    assert.match(etag, /^"/);
    const conditional = await app.inject({ url: '/page', headers: { 'if-none-match': etag } });
    assert.equal(conditional.statusCode, 304);
    assert.equal(conditional.body, '');
    assert.equal(conditional.headers['cache-status'], 'larder; hit');
    assert.equal(calls, 1);
  });

  it('serves HEAD from the stored GET', async () => {
    let calls = 0;
    const app = await newApp((a) =>
      a.get('/page', { config: { larder: { ttl: '1m' } } }, async () => {
        calls++;
        return 'twelve bytes';
      }),
    );
    await app.inject('/page');
    assertHit(await app.inject('/page'));
    const head = await app.inject({ method: 'HEAD', url: '/page' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['cache-status'], 'larder; hit');
    assert.equal(head.headers['content-length'], '12');
    assert.equal(head.body, '');
    assert.equal(calls, 1);
  });

  it('stores no response that sets a cookie, is no-store or private, or comes from neverCache()', async () => {
    const calls = { cookie: 0, noStore: 0, private: 0, never: 0 };
    const app = await newApp(
      (a) => {
        a.get('/cookie', async (_req, reply) => {
          calls.cookie++;
          return reply.header('set-cookie', 'sid=1').send('x');
        });
        a.get('/no-store', async (_req, reply) => {
          calls.noStore++;
          return reply.header('cache-control', 'no-store').send('x');
        });
        a.get('/private', async (_req, reply) => {
          calls.private++;
          return reply.header('cache-control', 'private, max-age=60').send('x');
        });
        a.get('/never', { onSend: neverCache() }, async (_req, reply) => {
          calls.never++;
          // neverCache runs after the handler: the handler cannot undo it.
          return reply.header('cache-control', 'public, max-age=60').send('x');
        });
      },
      { allRoutes: true, ttl: '1m' },
    );
    for (let i = 0; i < 3; i++) {
      for (const url of ['/cookie', '/no-store', '/private', '/never']) {
        const res = await app.inject(url);
        assert.equal(res.headers['cache-status'], undefined, url);
      }
      await sleep(20);
    }
    assert.deepEqual(calls, { cookie: 3, noStore: 3, private: 3, never: 3 });
    assert.equal((await app.inject('/never')).headers['cache-control'], 'no-store, private');
  });

  it('bypasses requests with Authorization unless the route varies on it', async () => {
    let shared = 0;
    let perUser = 0;
    const app = await newApp((a) => {
      a.get('/shared', { config: { larder: { ttl: '1m' } } }, async () => `shared ${++shared}`);
      a.get(
        '/per-user',
        { config: { larder: { ttl: '1m', vary: ['authorization'] } } },
        async (req) => `for ${req.headers.authorization} ${++perUser}`,
      );
    });
    await app.inject('/shared');
    assertHit(await app.inject('/shared'));
    const withAuth = await app.inject({ url: '/shared', headers: { authorization: 'Bearer a' } });
    assert.equal(withAuth.headers['cache-status'], undefined);
    assert.equal(withAuth.body, 'shared 2');

    const a1 = await app.inject({ url: '/per-user', headers: { authorization: 'Bearer a' } });
    assert.equal(a1.body, 'for Bearer a 1');
    const a2 = await app.inject({ url: '/per-user', headers: { authorization: 'Bearer a' } });
    assertHit(a2);
    assert.equal(a2.body, 'for Bearer a 1');
    const b = await app.inject({ url: '/per-user', headers: { authorization: 'Bearer b' } });
    assert.equal(b.body, 'for Bearer b 2');
  });

  it("varies on Cookie when the handler read it: user A's page is never served to B", async () => {
    let calls = 0;
    const app = await newApp((a) => {
      a.get('/me', { config: { larder: { ttl: '1m' } } }, async (req) => {
        calls++;
        return `hello ${req.headers.cookie ?? 'anonymous'}`;
      });
      a.get('/static', { config: { larder: { ttl: '1m' } } }, async () => 'same for all');
    });
    const a1 = await app.inject({ url: '/me', headers: { cookie: 'user=a' } });
    assert.equal(a1.body, 'hello user=a');
    assert.match(String(a1.headers.vary), /cookie/i);
    assertHit(await app.inject({ url: '/me', headers: { cookie: 'user=a' } }));
    const b = await app.inject({ url: '/me', headers: { cookie: 'user=b' } });
    assert.equal(b.body, 'hello user=b');
    assert.equal(b.headers['cache-status'], undefined);
    const anonymous = await app.inject('/me');
    assert.equal(anonymous.body, 'hello anonymous');
    assert.equal(calls, 3);

    // A handler that never reads the cookie shares one copy between users.
    await app.inject({ url: '/static', headers: { cookie: 'user=a' } });
    assertHit(await app.inject({ url: '/static', headers: { cookie: 'user=b' } }));
  });

  it('varies on Cookie when the handler reads request.session set by a plugin registered before Larder', async () => {
    let calls = 0;
    const app = Fastify();
    apps.push(app);
    // A stand-in for @fastify/session: it reads the cookie before Larder watches the header.
    // `as never`: once any file of the program imports @fastify/session, its type
    // augmentation types request.session, and a stand-in's null no longer fits it.
    app.decorateRequest('session', null as never);
    app.addHook('onRequest', async (request) => {
      (request as unknown as { session: { user: string } }).session = {
        user: request.headers.cookie ?? 'anonymous',
      };
    });
    await app.register(fastifyLarder, {
      http: { cache: await newCache(), hosts: ['localhost'], ttl: '1m', logger: { warn: () => {} } },
      allRoutes: true,
    });
    app.get('/me', async (request) => {
      calls++;
      return `hello ${(request as unknown as { session: { user: string } }).session.user}`;
    });
    await app.ready();
    assert.equal((await app.inject({ url: '/me', headers: { cookie: 'a' } })).body, 'hello a');
    assertHit(await app.inject({ url: '/me', headers: { cookie: 'a' } }));
    assert.equal((await app.inject({ url: '/me', headers: { cookie: 'b' } })).body, 'hello b');
    assert.equal(calls, 2);
  });

  it('releases waiting requests at once when the handler hijacks the reply (no hooks run)', async () => {
    let calls = 0;
    const app = await newApp(
      (a) =>
        a.get('/hijacked', async (_req, reply) => {
          calls++;
          await sleep(50);
          reply.hijack();
          reply.raw.writeHead(200, { 'content-type': 'text/plain' });
          reply.raw.end('raw');
        }),
      { allRoutes: true, ttl: '1m', collapseWait: '5s' },
    );
    const startedAt = Date.now();
    const responses = await Promise.all(Array.from({ length: 5 }, () => app.inject('/hijacked')));
    assert.ok(responses.every((r) => r.body === 'raw'));
    assert.ok(
      Date.now() - startedAt < 2_500,
      `${Date.now() - startedAt} ms: waiters held until collapseWait`,
    );
    assert.equal(calls, 5);
  });

  it('runs after every later onSend hook: a Vary: Cookie or Set-Cookie it adds is seen', async () => {
    let calls = 0;
    const app = await newApp(
      (a) => {
        a.addHook('onSend', async (req, reply, payload) => {
          if (req.url === '/varies') reply.header('vary', 'Cookie');
          if (req.url === '/sets-cookie') reply.header('set-cookie', 'tracking=1');
          return payload;
        });
        a.get('/varies', async (req) => `page ${++calls} ${req.raw.url}`);
        a.get('/sets-cookie', async () => `page ${++calls}`);
      },
      { allRoutes: true, ttl: '1m' },
    );
    await app.inject({ url: '/varies', headers: { cookie: 'u=a' } });
    assertHit(await app.inject({ url: '/varies', headers: { cookie: 'u=a' } }));
    const other = await app.inject({ url: '/varies', headers: { cookie: 'u=b' } });
    assert.equal(other.headers['cache-status'], undefined, 'the Vary added by a later hook keys the copy');
    for (let i = 0; i < 3; i++) {
      assert.equal((await app.inject('/sets-cookie')).headers['cache-status'], undefined);
      await sleep(20);
    }
  });

  it('stores a 404 only as the rules allow, and a 500 never without a route TTL', async () => {
    const calls = { missing: 0, missingTtl: 0, error: 0 };
    const app = await newApp((a) => {
      a.get('/missing', { config: { larder: true } }, async (_req, reply) => {
        calls.missing++;
        return reply.code(404).send('no');
      });
      a.get('/missing-ttl', { config: { larder: { ttl: '1m' } } }, async (_req, reply) => {
        calls.missingTtl++;
        return reply.code(404).send('no');
      });
      a.get('/error', { config: { larder: true } }, async (_req, reply) => {
        calls.error++;
        return reply.code(500).send('oops');
      });
    });
    for (let i = 0; i < 3; i++) {
      for (const url of ['/missing', '/error']) await app.inject(url);
      await sleep(20);
    }
    await app.inject('/missing-ttl');
    assertHit(await app.inject('/missing-ttl'));
    const hit = await app.inject('/missing-ttl');
    assert.equal(hit.statusCode, 404);
    assert.deepEqual(calls, { missing: 3, missingTtl: 1, error: 3 });
  });

  it('passes a body over the cap through uncached, streams included, and stores a small stream', async () => {
    const calls = { big: 0, bigStream: 0, smallStream: 0 };
    const big = 'x'.repeat(5_000);
    const app = await newApp(
      (a) => {
        a.get('/big', async () => {
          calls.big++;
          return big;
        });
        a.get('/big-stream', async (_req, reply) => {
          calls.bigStream++;
          return reply
            .type('text/plain')
            .send(Readable.from(Array.from({ length: 50 }, () => 'y'.repeat(100))));
        });
        a.get('/small-stream', async (_req, reply) => {
          calls.smallStream++;
          return reply.type('text/plain').send(Readable.from(['a', 'b', 'c']));
        });
      },
      { allRoutes: true, ttl: '1m', maxBodyBytes: 1_000 },
    );
    for (let i = 0; i < 3; i++) {
      assert.equal((await app.inject('/big')).body, big);
      assert.equal((await app.inject('/big-stream')).body, 'y'.repeat(5_000));
      await sleep(20);
    }
    assert.equal(calls.big, 3);
    assert.equal(calls.bigStream, 3);
    assert.equal((await app.inject('/small-stream')).body, 'abc');
    assertHit(await app.inject('/small-stream'));
    assert.equal((await app.inject('/small-stream')).body, 'abc');
    assert.equal(calls.smallStream, 1);
  });

  it('200 concurrent requests to a cold page make 1 handler call', async () => {
    let calls = 0;
    const app = await newApp((a) =>
      a.get('/cold', { config: { larder: { ttl: '1m' } } }, async () => {
        calls++;
        await sleep(50);
        return 'cold page';
      }),
    );
    const responses = await Promise.all(Array.from({ length: 200 }, () => app.inject('/cold')));
    assert.equal(calls, 1);
    assert.ok(responses.every((r) => r.statusCode === 200 && r.body === 'cold page'));
  });

  it('200 concurrent requests to an uncacheable page make 200 calls, without waiting for one another', async () => {
    let calls = 0;
    const app = await newApp(
      (a) =>
        a.get('/uncacheable', { config: { larder: { ttl: '1m' } } }, async (_req, reply) => {
          calls++;
          await sleep(50);
          return reply.header('cache-control', 'no-store').send('fresh');
        }),
      { collapseWait: '5s' },
    );
    const startedAt = Date.now();
    const responses = await Promise.all(Array.from({ length: 200 }, () => app.inject('/uncacheable')));
    const elapsedMs = Date.now() - startedAt;
    assert.equal(calls, 200);
    assert.ok(responses.every((r) => r.body === 'fresh'));
    // Waiting for the collapse bound would take 5 s; released at the first response's head: ~2 x 50 ms.
    assert.ok(elapsedMs < 2_500, `${elapsedMs} ms`);
  });

  it('keeps collapsing after a conditional miss that the handler answered 304', async () => {
    // A browser revalidating its copy (If-None-Match) on a cold cache: the handler's 304
    // says nothing about whether the page may be stored, so it must not start hit-for-pass.
    let calls = 0;
    const app = await newApp((a) =>
      a.get('/etagged', { config: { larder: { ttl: '1m' } } }, async (req, reply) => {
        calls++;
        await sleep(50);
        reply.header('etag', '"v1"');
        if (req.headers['if-none-match'] === '"v1"') return reply.code(304).send();
        return 'page';
      }),
    );
    const conditional = await app.inject({ url: '/etagged', headers: { 'if-none-match': '"v1"' } });
    assert.equal(conditional.statusCode, 304);
    const responses = await Promise.all(Array.from({ length: 20 }, () => app.inject('/etagged')));
    assert.ok(responses.every((r) => r.body === 'page'));
    assert.equal(calls, 2, 'one call for the conditional miss, one for the 20 collapsed requests');
  });

  it('serves the stale page when the handler throws, within staleIfError', async () => {
    let fail = false;
    const app = await newApp((a) =>
      a.get('/flaky', { config: { larder: { ttl: 100, staleIfError: '1m' } } }, async () => {
        if (fail) throw new Error('database down');
        return 'last good page';
      }),
    );
    await app.inject('/flaky');
    assertHit(await app.inject('/flaky'));
    await sleep(250);
    fail = true;
    const res = await app.inject('/flaky');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'last good page');
    assert.match(String(res.headers['cache-status']), /stale-if-error/);
  });

  it('invalidates the URL on an unsafe method (POST)', async () => {
    let version = 1;
    const app = await newApp((a) => {
      a.get('/items', { config: { larder: { ttl: '1m' } } }, async () => `items v${version}`);
      a.post('/items', async () => {
        version++;
        return { ok: true };
      });
    });
    await app.inject('/items');
    assertHit(await app.inject('/items'));
    assert.equal((await app.inject('/items')).body, 'items v1');
    assert.equal((await app.inject({ method: 'POST', url: '/items' })).statusCode, 200);
    // The POST's response was sent once the invalidation was stored: the next GET renders.
    assert.equal((await app.inject('/items')).body, 'items v2');
  });

  it('caches every GET route with allRoutes, except those with config.larder false', async () => {
    const calls = { on: 0, off: 0 };
    const app = await newApp(
      (a) => {
        a.get('/on', async () => `on ${++calls.on}`);
        a.get('/off', { config: { larder: false } }, async () => `off ${++calls.off}`);
      },
      { allRoutes: true, ttl: '1m' },
    );
    await app.inject('/on');
    assertHit(await app.inject('/on'));
    for (let i = 0; i < 3; i++) await app.inject('/off');
    assert.equal(calls.on, 1);
    assert.equal(calls.off, 3);
  });

  it('rejects invalid route options when the route is registered', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(fastifyLarder, { http: { cache: await newCache(), hosts: ['localhost'] } });
    assert.throws(
      () => app.get('/bad', { config: { larder: { ttl: 'soon' as '1m' } } }, async () => 'x'),
      /ttl/,
    );
  });
});
