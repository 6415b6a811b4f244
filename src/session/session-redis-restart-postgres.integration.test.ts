/**
 * What docs/sessions.md promises when Redis fails, under Express 5 +
 * express-session + LarderSessionStore on a real port, with a PRIVATE
 * redis-server this file kills (never the shared one):
 *
 * - `cached_db`: "a Redis restart logs nobody out" and saves keep working
 *   from Postgres. A steady stream of requests (each reads the session's user
 *   and increments a counter) runs while redis-server is SIGKILLed and
 *   restarted empty on the same port: no request fails, none sees no user,
 *   every counter equals its successful increments, and sessions come back
 *   into the cache.
 * - cache only, Redis down: creating a session fails fast with
 *   `E_SESSION_UNAVAILABLE`, and an existing session reads as no session.
 *
 * Routes save explicitly (`req.session.save`) so that a failed save reaches
 * the error handler before the response: express-session's automatic save at
 * the end of a response writes the headers first and passes the error on
 * afterwards, too late for a 500.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import pg from 'pg';
import { createClient } from 'redis';
import { LarderSessionStore } from '../adapters/express-session/index.js';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { type RedisStore, redisStore } from '../stores/redis/redis-store.js';
import { databaseUrl, uniquePrefix, uniqueSchema } from '../test-support/env.js';
import { TEST_SESSION_SECRET } from '../test-support/larder-session-harnesses.js';
import { type RedisServer, startRedisServer } from '../test-support/redis-server.js';

const STORE_TIMEOUT_MS = 500;
const SESSIONS = 50;
const REQUEST_TIMEOUT_MS = 30_000;

declare module 'express-session' {
  interface SessionData {
    user?: string;
    count?: number;
  }
}

/** A cache on the private server, with the short store timeout a session cache would use. */
function sessionCache(server: RedisServer): { cache: Cache; store: RedisStore; prefix: string } {
  const prefix = uniquePrefix('session-restart');
  const store = redisStore({ url: server.url });
  const cache = createCache({
    store,
    prefix,
    storeTimeout: `${STORE_TIMEOUT_MS}ms`,
    logger: { warn: () => {} },
  });
  return { cache, store, prefix };
}

interface App {
  readonly url: string;
  readonly errors: unknown[];
  close(): Promise<void>;
}

/** Express + express-session over `store`: /login, /hit (read the user, count +1), /whoami. */
async function startApp(store: LarderSessionStore): Promise<App> {
  const errors: unknown[] = [];
  const app = express();
  app.use(express.json());
  app.use(
    session({
      store,
      secret: randomBytes(16).toString('hex'),
      name: 'sid',
      resave: false,
      saveUninitialized: false,
    }),
  );
  const save = (req: Request, next: NextFunction, then: () => void) =>
    req.session.save((error: unknown) => (error == null ? then() : next(error)));
  app.post('/login', (req, res, next) => {
    req.session.user = (req.body as { user: string }).user;
    req.session.count = 0;
    save(req, next, () => res.json({ user: req.session.user }));
  });
  app.post('/hit', (req, res, next) => {
    const user = req.session.user;
    if (user === undefined) {
      res.json({ user: null }); // logged out: counts as a logout, changes nothing
      return;
    }
    req.session.count = (req.session.count ?? 0) + 1;
    save(req, next, () => res.json({ user, count: req.session.count }));
  });
  app.get('/whoami', (req, res) => {
    res.json({ user: req.session.user ?? null, count: req.session.count ?? null });
  });
  // Express knows an error handler by its four parameters.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    errors.push(error);
    if (res.headersSent) return;
    res.status(500).json({ code: (error as { code?: unknown }).code ?? null });
  });
  const server: Server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    errors,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

interface Reply {
  readonly status: number;
  readonly body: { user?: string | null; count?: number | null; code?: string | null };
  readonly cookie?: string;
}

async function send(app: App, path: string, cookie?: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers.cookie = cookie;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(app.url + path, {
    method: path === '/whoami' ? 'GET' : 'POST',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const set = response.headers
    .getSetCookie()
    .find((line) => line.startsWith('sid='))
    ?.split(';')[0];
  return {
    status: response.status,
    body: (await response.json()) as Reply['body'],
    ...(set === undefined ? {} : { cookie: set }),
  };
}

async function login(app: App, user: string): Promise<string> {
  const reply = await send(app, '/login', undefined, { user });
  assert.equal(reply.status, 200, `login ${user}: HTTP ${reply.status} (${reply.body.code})`);
  assert.ok(reply.cookie !== undefined, `login ${user}: a cookie`);
  return reply.cookie;
}

/** True once some session record is back in Redis under `prefix`. */
async function sessionInRedis(url: string, prefix: string): Promise<boolean> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
      if (keys.some((key) => key.includes('sess:'))) return true;
    return false;
  } finally {
    await client.close();
  }
}

describe('sessions when Redis fails (private redis-server), Express 5 + express-session', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedisServer();
  });
  after(() => server.stop());

  it('cached_db: a SIGKILL and an empty restart of Redis mid-stream log nobody out and lose no write', async (t) => {
    const schema = uniqueSchema('session_restart');
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 10 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    const { cache, store: redis, prefix } = sessionCache(server);
    await redis.ready();
    const store = new LarderSessionStore({
      cache,
      secret: TEST_SESSION_SECRET,
      database: { pool, table: `${schema}.larder_sessions` },
    });
    const reports: unknown[] = [];
    store.on('error', (error) => reports.push(error)); // expected while Redis is down; not warnings
    await store.setup();
    const app = await startApp(store);
    try {
      const users = Array.from({ length: SESSIONS }, (_, i) => `user-${i}`);
      const cookies = await Promise.all(users.map((user) => login(app, user)));

      // One sequential stream per session (concurrent requests of one session
      // changing one field would keep only one change: a documented limit).
      const increments = users.map(() => 0);
      const loggedOut: string[] = [];
      const failed: string[] = [];
      let requests = 0;
      let running = true;
      const stream = Promise.all(
        cookies.map(async (cookie, i) => {
          while (running) {
            requests += 1;
            try {
              const reply = await send(app, '/hit', cookie);
              if (reply.status !== 200) failed.push(`${users[i]}: HTTP ${reply.status} ${reply.body.code}`);
              else if (reply.body.user !== users[i]) loggedOut.push(`${users[i]} saw ${reply.body.user}`);
              else increments[i] = (increments[i] ?? 0) + 1;
            } catch (error) {
              failed.push(`${users[i]}: ${String(error)}`);
            }
          }
        }),
      );

      await sleep(1_500); // healthy traffic, sessions in the cache
      const beforeKill = requests;
      await server.kill();
      await sleep(1_500); // down: loads and saves go to Postgres
      const whileDown = requests - beforeKill;
      await server.restart(); // same port, empty
      const restartedAt = requests;
      // The cache recovers: sessions are read back into it (or saved into it).
      const deadline = Date.now() + 20_000;
      let recovered = false;
      while (!recovered && Date.now() < deadline) {
        await sleep(200);
        recovered = requests > restartedAt + SESSIONS && (await sessionInRedis(server.url, prefix));
      }
      await sleep(500);
      running = false;
      await stream;

      assert.ok(whileDown > 0, 'requests ran while Redis was down');
      assert.deepEqual(failed.slice(0, 10), [], `${failed.length} of ${requests} requests failed`);
      assert.deepEqual(loggedOut.slice(0, 10), [], `${loggedOut.length} requests saw no user`);
      assert.ok(recovered, 'a session record is back in the restarted Redis');
      const counts = await Promise.all(cookies.map((cookie) => send(app, '/whoami', cookie)));
      const wrong = counts.flatMap((reply, i) =>
        reply.body.count === increments[i] ? [] : [`${users[i]}: ${reply.body.count} != ${increments[i]}`],
      );
      assert.deepEqual(wrong, [], 'every counter equals its successful increments');
      t.diagnostic(
        `${requests} requests, ${whileDown} while Redis was down; ${reports.length} store reports`,
      );
    } finally {
      await app.close();
      await cache.close();
      await redis.close();
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    }
  });

  it('cache only, Redis down: a login fails fast with E_SESSION_UNAVAILABLE; a session reads as none', async () => {
    await server.restart(); // healthy and empty, whatever the test before left
    const { cache, store: redis } = sessionCache(server);
    await redis.ready();
    const store = new LarderSessionStore({ cache, secret: TEST_SESSION_SECRET });
    const reports: unknown[] = [];
    store.on('error', (error) => reports.push(error));
    const app = await startApp(store);
    try {
      const cookie = await login(app, 'grace');
      assert.equal((await send(app, '/whoami', cookie)).body.user, 'grace');

      await server.kill(); // and it stays down

      // docs/sessions.md, "When the cache is down (cache-only mode)": creating or
      // saving a session fails fast with E_SESSION_UNAVAILABLE, within the
      // cache's storeTimeout (at once while the breaker is open); never spins.
      const startedAt = performance.now();
      const failedLogin = await send(app, '/login', undefined, { user: 'hopper' });
      const elapsedMs = performance.now() - startedAt;
      assert.equal(failedLogin.status, 500);
      assert.equal(failedLogin.body.code, 'E_SESSION_UNAVAILABLE');
      assert.ok(elapsedMs < STORE_TIMEOUT_MS + 3_000, `the login failed after ${elapsedMs.toFixed(0)} ms`);

      // Same page: loading an existing session reads as no session (the store
      // reports E_SESSION_UNAVAILABLE); express-session makes a new, empty one
      // and the route sees no user. It is not an error response.
      const loaded = await send(app, '/whoami', cookie);
      assert.equal(loaded.status, 200);
      assert.equal(loaded.body.user, null, 'the route sees no user');
      assert.ok(
        reports.some((error) => (error as { code?: unknown }).code === 'E_SESSION_UNAVAILABLE'),
        'the store reported the unavailable load',
      );
    } finally {
      await app.close();
      await cache.close();
      await redis.close();
    }
  });
});
