/**
 * The application every session case drives: a real Express app with
 * express-session over the store under test, on a real port, and a client
 * that talks to it over HTTP with the session cookie, as a browser would.
 *
 * express and express-session are optional peers: they are imported here, on
 * first use, so that importing `larder/testing` never loads them.
 *
 * Races are arranged on the server, not by timing: a request can `signal` a
 * name once express-session has loaded its session, `await` names before its
 * handler goes on (each wait bounded by the barrier timeout, so a store that
 * serializes requests cannot deadlock the case), and fire `done` once its
 * response has finished, that is after express-session saved or destroyed.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import type { ExpressSessionStore } from './session-store-harness.js';
import { Signals } from './signals.js';

/** How express-session is configured for one app. */
export interface SessionAppConfig {
  /** express-session's `resave`. @default false */
  readonly resave?: boolean;
  /** The session cookie's `maxAge` in ms. @default none: a browser-session cookie */
  readonly maxAgeMs?: number;
}

/** Server-side ordering of one request (see the top of this file). */
export interface Coordination {
  /** Fired once the request's session is loaded. */
  readonly signal?: string;
  /** Waited for, in order, before the handler acts. */
  readonly await?: readonly string[];
  /** Fired once the response has finished (after the save or destroy). */
  readonly done?: string;
}

/** A session as a request saw it: its id and its fields, `cookie` left out. */
export interface SessionView {
  readonly status: number;
  readonly id: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** The response's message when it failed. */
  readonly error?: string;
  /** `name=value` of the session cookie the response set, if any. */
  readonly setCookie?: string;
}

/** A running app and its client. */
export interface SessionApp {
  /** Creates a session holding `fields` (a request with `cookie` reuses that session). */
  login(fields: Readonly<Record<string, unknown>>, cookie?: string): Promise<SessionView>;
  /** Reads the session without changing it (express-session then calls `touch`). */
  whoami(cookie: string): Promise<SessionView>;
  /** Sets `fields` (none: a request that only reads). */
  update(
    cookie: string,
    fields: Readonly<Record<string, unknown>>,
    order?: Coordination,
  ): Promise<SessionView>;
  /** Destroys the session (log out). */
  logout(cookie: string, order?: Coordination): Promise<SessionView>;
  /** Waits that ran into the barrier timeout, so far. */
  readonly barrierTimeouts: () => number;
  /** Errors that reached Express's error handler. */
  readonly errors: readonly unknown[];
  /** Stops the server, dropping open connections and releasing every barrier. */
  close(): Promise<void>;
}

/** Timeouts of the app and its client. */
export interface SessionAppTimeouts {
  readonly requestTimeoutMs: number;
  readonly barrierTimeoutMs: number;
}

const COOKIE_NAME = 'larder.sid';
/** Longer strings are shown by length, so an oversized session does not travel back whole. */
const LONGEST_SHOWN = 200;

/** Start an app over `store` on 127.0.0.1 and a free port. */
export async function startSessionApp(
  store: ExpressSessionStore,
  config: SessionAppConfig,
  timeouts: SessionAppTimeouts,
): Promise<SessionApp> {
  const { default: express } = await import('express');
  const { default: session } = await import('express-session');
  const signals = new Signals(timeouts.barrierTimeoutMs);
  const errors: unknown[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(
    session({
      store: store as unknown as InstanceType<typeof session.Store>,
      secret: randomBytes(16).toString('hex'),
      name: COOKIE_NAME,
      resave: config.resave ?? false,
      rolling: false,
      saveUninitialized: false,
      cookie: config.maxAgeMs === undefined ? {} : { maxAge: config.maxAgeMs },
    }),
  );
  const view = (req: Request) => ({ id: req.sessionID, fields: fieldsOf(req.session) });
  const ordered = async (req: Request, res: Response) => {
    const order = (req.body as { order?: Coordination } | undefined)?.order ?? {};
    if (order.done !== undefined) {
      const done = order.done;
      res.once('finish', () => signals.fire(done));
    }
    if (order.signal !== undefined) signals.fire(order.signal);
    for (const name of order.await ?? []) await signals.wait(name);
  };

  app.get('/whoami', (req, res) => {
    res.json(view(req));
  });
  app.post('/update', async (req, res) => {
    await ordered(req, res);
    const fields = (req.body as { fields?: Record<string, unknown> }).fields ?? {};
    Object.assign(req.session, fields);
    res.json(view(req));
  });
  app.post('/logout', async (req, res, next) => {
    await ordered(req, res);
    req.session.destroy((error: unknown) => {
      if (error === undefined || error === null) res.json({ id: req.sessionID, fields: {} });
      else next(error);
    });
  });
  // Express knows an error handler by its four parameters.
  app.use((error: unknown, _req: Request, res: Response, _next: unknown) => {
    errors.push(error);
    res.status(500).json({ error: error instanceof Error ? error.message : String(error) });
  });

  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new Client(`http://127.0.0.1:${port}`, timeouts.requestTimeoutMs);
  return {
    login: (fields, cookie) => client.send('POST', '/update', cookie, { fields }),
    whoami: (cookie) => client.send('GET', '/whoami', cookie),
    update: (cookie, fields, order = {}) => client.send('POST', '/update', cookie, { fields, order }),
    logout: (cookie, order = {}) => client.send('POST', '/logout', cookie, { order }),
    barrierTimeouts: () => signals.timeouts,
    errors,
    close: async () => {
      signals.releaseAll();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The application's fields of a session: everything but `cookie`, long strings by length. */
function fieldsOf(session: object | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(session ?? {})) {
    if (name === 'cookie') continue;
    fields[name] =
      typeof value === 'string' && value.length > LONGEST_SHOWN ? `<string of ${value.length} chars>` : value;
  }
  return fields;
}

/** Sends requests with the session cookie, as a browser would. */
class Client {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(base: string, timeoutMs: number) {
    this.#base = base;
    this.#timeoutMs = timeoutMs;
  }

  async send(method: 'GET' | 'POST', path: string, cookie?: string, body?: unknown): Promise<SessionView> {
    const headers: Record<string, string> = {};
    if (cookie !== undefined) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.#base + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await response.text();
    let parsed: { id?: unknown; fields?: unknown; error?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = { error: text.slice(0, LONGEST_SHOWN) };
    }
    const setCookie = response.headers
      .getSetCookie()
      .find((line) => line.startsWith(`${COOKIE_NAME}=`))
      ?.split(';')[0];
    return {
      status: response.status,
      id: typeof parsed.id === 'string' ? parsed.id : '',
      fields:
        typeof parsed.fields === 'object' && parsed.fields !== null
          ? (parsed.fields as Record<string, unknown>)
          : {},
      ...(typeof parsed.error === 'string' ? { error: parsed.error } : {}),
      ...(setCookie === undefined ? {} : { setCookie }),
    };
  }
}
