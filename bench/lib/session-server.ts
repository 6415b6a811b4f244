/**
 * One contender of bench/sessions.ts: an Express 5 + express-session app in
 * its own process (forked by the runner, which drives it with autocannon):
 *
 *   CONTENDER=connect-redis|postgres-only|larder-redis|larder-tiered|larder-cached-db
 *   REDIS_URL, PREFIX (Redis keys of the run), DATABASE_URL, SCHEMA (the run's schema),
 *   SETUP=1 (cached_db: create Larder's table), DELAY_MS (the /slow route's pause)
 *
 * Routes: GET /login creates a session; /rw reads it and writes two fields
 * (`views` + 1, `last`); /ro only reads it; /slow?field=a waits DELAY_MS
 * between the session's load and its save, then sets one field, so that two
 * such requests on one session overlap; /fields returns `a` and `b`. A
 * request without a session gets 401, so a store that loses sessions shows
 * as errors instead of as fast empty sessions.
 *
 * Replies `ready` with its port over IPC, then `counters` when asked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import session from 'express-session';
import { countingPool } from './counting-pool.js';
import { PgSessionStore } from '../../examples/store/src/pg-session-store.js';
import type { SessionContender, SessionServerReply, SessionServerRequest } from './session-protocol.js';

const contender = (process.env.CONTENDER ?? 'connect-redis') as SessionContender;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.PREFIX ?? 'larder-bench.sessions';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = process.env.SCHEMA ?? 'public';
const delayMs = Number(process.env.DELAY_MS ?? 50);

/** The fields the routes use; a local view, not an augmentation of express-session's global type. */
interface BenchSession {
  views?: number;
  last?: number;
  a?: number;
  b?: number;
}

const reply = (message: SessionServerReply) => process.send?.(message);
const counting = contender === 'postgres-only' || contender === 'larder-cached-db';
const database = counting ? countingPool(databaseUrl, schema) : undefined;

async function store(): Promise<session.Store> {
  if (contender === 'connect-redis') {
    const { createClient } = await import('redis');
    const { RedisStore } = await import('connect-redis');
    const client = createClient({ url: redisUrl });
    await client.connect();
    return new RedisStore({ client, prefix: `${prefix}.connect-redis:` });
  }
  if (contender === 'postgres-only') {
    if (database === undefined) throw new Error('postgres-only needs a pool');
    return new PgSessionStore(database.pool, 'pg_sessions');
  }
  const { larderSessionStore } = await import('./larder-sessions.js');
  return larderSessionStore(contender, {
    redisUrl,
    prefix: `${prefix}.${contender}`,
    setup: process.env.SETUP === '1',
    ...(database === undefined ? {} : { pool: database.pool }),
  });
}

let requests = 0;
let overlaps = 0;
/** Requests being handled, by cookie header (one session each). */
const inFlight = new Map<string, number>();

const app = express();
app.set('etag', false);
app.use((request, response, next) => {
  requests++;
  const cookie = request.headers.cookie;
  if (cookie !== undefined) {
    const before = inFlight.get(cookie) ?? 0;
    if (before > 0) overlaps++;
    inFlight.set(cookie, before + 1);
    // 'close' comes after express-session's save (it ends the response only once saved): the
    // request's whole load-to-save window. Not 'finish', which never comes for a response whose
    // connection the load generator dropped when its run ended.
    response.once('close', () => {
      const after = (inFlight.get(cookie) ?? 1) - 1;
      if (after === 0) inFlight.delete(cookie);
      else inFlight.set(cookie, after);
    });
  }
  next();
});
app.use(
  session({
    store: await store(),
    secret: 'larder-bench-sessions-cookie-secret',
    resave: false,
    saveUninitialized: false,
  }),
);
const data = (request: express.Request) => request.session as unknown as BenchSession;

app.get('/login', (request, response) => {
  Object.assign(data(request), { views: 0, last: Date.now() });
  response.send('ok');
});
app.get('/rw', (request, response) => {
  const current = data(request);
  if (current.views === undefined) return void response.status(401).send('no session');
  current.views += 1;
  current.last = Date.now();
  response.send(String(current.views));
});
app.get('/ro', (request, response) => {
  const current = data(request);
  if (current.views === undefined) return void response.status(401).send('no session');
  response.send(String(current.views));
});
app.get('/slow', async (request, response) => {
  const current = data(request);
  const field = request.query.field === 'b' ? 'b' : 'a';
  if (current.views === undefined) return void response.status(401).send('no session');
  await sleep(delayMs);
  current[field] = 1;
  response.send('ok');
});
app.get('/fields', (request, response) => {
  const current = data(request);
  if (current.views === undefined) return void response.status(401).send('no session');
  response.json({ a: current.a ?? null, b: current.b ?? null });
});

const server = http.createServer(app);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => reply({ type: 'ready', port: (server.address() as AddressInfo).port }));

process.on('message', (message: SessionServerRequest) => {
  if (message.type === 'counters')
    reply({ type: 'counters', requests, overlaps, queries: database?.queries() ?? 0 });
  else {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
