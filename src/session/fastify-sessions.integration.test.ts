/**
 * FastifySessionStore under real Fastify 5 + @fastify/cookie + @fastify/session
 * on a real port, over HTTP with the session cookie, as a browser would:
 * concurrent pairs that change different fields keep both, a logout wins over
 * a save in flight, and `regenerate` moves the chosen fields to a new id. The
 * race tests also run on @fastify/session's default in-memory store (it writes
 * whole sessions) and must fail there: proof the harness sees the race (STYLE 18).
 *
 * Races are arranged on the server, not by timing, as the compliance suite's
 * session app does: a request's session is loaded before its handler runs
 * (@fastify/session loads it in `onRequest`), so the handler fires a signal,
 * awaits others (each wait bounded, so a store that serialized requests could
 * not deadlock the test), and a `done` signal fires once the response has
 * finished, after `onSend` saved.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { TEST_SESSION_SECRET } from '../test-support/larder-session-harnesses.js';
import { testCaches } from '../test-support/test-caches.js';
import { Signals } from '../testing/session-cases/signals.js';
import { FastifySessionStore } from './index.js';

const COOKIE_NAME = 'sessionId';
/** Pairs in flight at once, as the compliance suite: overlap between pairs, few sockets. */
const IN_FLIGHT = 20;
const PAIRS = 1_000;
const LOGOUT_ROUNDS = 50;
/** A barrier wait longer than this gives up (and is counted): generous for a loaded CI. */
const BARRIER_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

interface Coordination {
  readonly signal?: string;
  readonly await?: readonly string[];
  readonly done?: string;
}

interface View {
  readonly status: number;
  readonly fields: Record<string, unknown>;
  readonly cookie?: string;
  readonly error?: string;
}

type SessionFields = Record<string, unknown>;
const fieldsOf = (session: object | null): SessionFields => {
  const fields: SessionFields = {};
  for (const [name, value] of Object.entries(session ?? {})) if (name !== 'cookie') fields[name] = value;
  // JSON drops what JSON cannot hold (Larder's loaded marker serializes to nothing).
  return JSON.parse(JSON.stringify(fields)) as SessionFields;
};

interface App {
  send(path: string, cookie?: string, body?: unknown): Promise<View>;
  readonly signals: Signals;
  close(): Promise<void>;
}

/** A Fastify app over `store` (undefined: @fastify/session's default in-memory store). */
async function startApp(store: FastifySessionStore | undefined): Promise<App> {
  const signals = new Signals(BARRIER_TIMEOUT_MS);
  const app: FastifyInstance = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: 'a-cookie-secret-of-at-least-32-characters-long',
    cookieName: COOKIE_NAME,
    saveUninitialized: false,
    cookie: { secure: false }, // plain HTTP on 127.0.0.1
    ...(store === undefined ? {} : { store: store as unknown as fastifySession.SessionStore }),
  });
  const session = (request: { session: unknown }) => request.session as SessionFields;
  const ordered = async (order: Coordination | undefined, raw: NodeJS.EventEmitter) => {
    if (order?.done !== undefined) {
      const done = order.done;
      raw.once('finish', () => signals.fire(done));
    }
    if (order?.signal !== undefined) signals.fire(order.signal);
    for (const name of order?.await ?? []) await signals.wait(name);
  };
  type Body = { fields?: SessionFields; order?: Coordination; keep?: string[] } | undefined;

  app.get('/whoami', async (request) => ({ fields: fieldsOf(request.session) }));
  app.post('/update', async (request, reply) => {
    const body = request.body as Body;
    await ordered(body?.order, reply.raw);
    Object.assign(session(request), body?.fields ?? {});
    return { fields: fieldsOf(request.session) };
  });
  app.post('/logout', async (request, reply) => {
    const body = request.body as Body;
    await ordered(body?.order, reply.raw);
    await request.session.destroy();
    return { fields: {} };
  });
  app.post('/regenerate', async (request) => {
    const body = request.body as Body;
    await request.session.regenerate(body?.keep ?? []);
    // regenerate() stores the new session itself but does not mark it saved, so
    // @fastify/session (saveUninitialized: false) would not send its cookie unless
    // it is modified; a login flow sets something after regenerating anyway.
    session(request).regeneratedAt = Date.now();
    return { fields: fieldsOf(request.session) };
  });
  app.setErrorHandler((error, _request, reply) => {
    const { code, message } = error as { code?: string; message?: string };
    void reply.status(500).send({ error: `${code}: ${message}` });
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    signals,
    async send(path, cookie, body) {
      const headers: Record<string, string> = {};
      if (cookie !== undefined) headers.cookie = cookie;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(address + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const parsed = (await response.json()) as { fields?: SessionFields; error?: string };
      const set = response.headers
        .getSetCookie()
        .find((line) => line.startsWith(`${COOKIE_NAME}=`))
        ?.split(';')[0];
      return {
        status: response.status,
        fields: parsed.fields ?? {},
        ...(set === undefined ? {} : { cookie: set }),
        ...(parsed.error === undefined ? {} : { error: parsed.error }),
      };
    },
    async close() {
      signals.releaseAll();
      await app.close();
    },
  };
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function login(app: App, fields: SessionFields): Promise<string> {
  const created = await app.send('/update', undefined, { fields });
  assert.equal(created.status, 200, `login: HTTP ${created.status} (${created.error})`);
  assert.ok(created.cookie !== undefined, 'login: a session cookie was set');
  return created.cookie;
}

/** `PAIRS` pairs on one session; both of a pair load before either saves. Returns the fields lost. */
async function racePairs(app: App): Promise<{ lost: string[]; failed: string[] }> {
  const cookie = await login(app, { owner: 'pairs' });
  const failed: string[] = [];
  await inParallel(range(PAIRS), IN_FLIGHT, async (i) => {
    const p = `p${i}`;
    const [a, b] = await Promise.all([
      app.send('/update', cookie, {
        fields: { [`a${i}`]: i },
        order: { signal: `${p}.a.loaded`, await: [`${p}.b.loaded`], done: `${p}.a.done` },
      }),
      app.send('/update', cookie, {
        fields: { [`b${i}`]: i },
        order: { signal: `${p}.b.loaded`, await: [`${p}.a.loaded`, `${p}.a.done`] },
      }),
    ]);
    if (a.status !== 200 || b.status !== 200) failed.push(`pair ${i}: ${a.error ?? b.error}`);
  });
  const final = await app.send('/whoami', cookie);
  assert.equal(final.fields.owner, 'pairs', 'the session survived the pairs');
  const expected = range(PAIRS).flatMap((i) => [`a${i}`, `b${i}`]);
  return { lost: expected.filter((field) => final.fields[field] !== pairIndex(field)), failed };
}

/** `a12` → 12: the value each pair's request stored. */
const pairIndex = (field: string) => Number(field.slice(1));

/** `LOGOUT_ROUNDS` rounds: S loads, L destroys, then S sets a field and saves. Returns the resurrections. */
async function raceLogouts(app: App): Promise<{ resurrected: string[]; failed: string[] }> {
  const resurrected: string[] = [];
  const failed: string[] = [];
  await inParallel(range(LOGOUT_ROUNDS), IN_FLIGHT, async (round) => {
    const cookie = await login(app, { owner: `round-${round}` });
    const r = `r${round}`;
    const [save, logout] = await Promise.all([
      app.send('/update', cookie, {
        fields: { late: round },
        order: { signal: `${r}.s.loaded`, await: [`${r}.l.done`] },
      }),
      app.send('/logout', cookie, { order: { await: [`${r}.s.loaded`], done: `${r}.l.done` } }),
    ]);
    if (save.status !== 200 || logout.status !== 200)
      failed.push(
        `round ${round}: save ${save.status}, logout ${logout.status} (${save.error ?? logout.error})`,
      );
    // The old cookie must load no session: no owner, and not the late field.
    const served = await app.send('/whoami', cookie);
    if (Object.keys(served.fields).length > 0)
      resurrected.push(`round ${round}: ${JSON.stringify(served.fields)}`);
  });
  return { resurrected, failed };
}

describe('FastifySessionStore under Fastify 5 + @fastify/session, over HTTP', () => {
  const caches = testCaches('fastify-sessions');
  after(() => caches.closeAll());

  const larderApp = async () => {
    const store = new FastifySessionStore({ cache: await caches.newCache(), secret: TEST_SESSION_SECRET });
    const errors: unknown[] = [];
    store.on('error', (error) => errors.push(error)); // reports, not warnings
    return { app: await startApp(store), store, errors };
  };

  it(`${PAIRS} interleaved pairs changing different fields: no field is lost`, async (t) => {
    const { app } = await larderApp();
    try {
      const { lost, failed } = await racePairs(app);
      assert.deepEqual(failed, [], 'every request succeeded');
      assert.deepEqual(lost.slice(0, 10), [], `lost ${lost.length} of ${PAIRS * 2} fields`);
      t.diagnostic(`0 of ${PAIRS * 2} fields lost; ${app.signals.timeouts} barrier waits timed out`);
    } finally {
      await app.close();
    }
  });

  it('the same pairs on the default in-memory store (whole-session writes) lose fields', async (t) => {
    const app = await startApp(undefined);
    try {
      const { lost, failed } = await racePairs(app);
      assert.deepEqual(failed, []);
      assert.ok(lost.length > 0, 'the naive store lost no field: the harness did not make the race');
      t.diagnostic(`naive store lost ${lost.length} of ${PAIRS * 2} fields`);
    } finally {
      await app.close();
    }
  });

  it(`logout racing a save, ${LOGOUT_ROUNDS} times: no session comes back`, async (t) => {
    const { app } = await larderApp();
    try {
      const { resurrected, failed } = await raceLogouts(app);
      assert.deepEqual(failed, []);
      assert.deepEqual(resurrected, [], `${resurrected.length} destroyed sessions came back`);
      t.diagnostic(`0 of ${LOGOUT_ROUNDS} came back; ${app.signals.timeouts} barrier waits timed out`);
    } finally {
      await app.close();
    }
  });

  it('the same logout race on the default in-memory store resurrects sessions', async (t) => {
    const app = await startApp(undefined);
    try {
      const { resurrected, failed } = await raceLogouts(app);
      assert.deepEqual(failed, []);
      assert.ok(
        resurrected.length > 0,
        'the naive store resurrected nothing: the harness did not make the race',
      );
      t.diagnostic(`naive store: ${resurrected.length} of ${LOGOUT_ROUNDS} came back`);
    } finally {
      await app.close();
    }
  });

  it('lifecycle: create, read back, regenerate keeps the chosen fields under a new id', async () => {
    const { app, errors } = await larderApp();
    try {
      const cookie = await login(app, { user: 'ada', cart: ['tea'], csrf: 'old-token' });
      const read = await app.send('/whoami', cookie);
      assert.equal(read.status, 200);
      assert.deepEqual(read.fields, { user: 'ada', cart: ['tea'], csrf: 'old-token' });

      const regenerated = await app.send('/regenerate', cookie, { keep: ['user', 'cart'] });
      assert.equal(regenerated.status, 200, regenerated.error);
      const newCookie = regenerated.cookie;
      assert.ok(newCookie !== undefined && newCookie !== cookie, 'a new session cookie was set');
      const after = await app.send('/whoami', newCookie);
      assert.equal(after.fields.user, 'ada');
      assert.deepEqual(after.fields.cart, ['tea']);
      assert.equal(after.fields.csrf, undefined, 'fields not kept are gone');
      assert.equal(typeof after.fields.regeneratedAt, 'number');

      const old = await app.send('/whoami', cookie);
      assert.deepEqual(old.fields, {}, 'the old id has no session');
      assert.deepEqual(errors, [], 'the store reported nothing');
    } finally {
      await app.close();
    }
  });
});
