/**
 * The express-session `Store` on a Larder cache (docs/sessions.md): the
 * host's idiom (a `Store` subclass, callbacks) over the session engine.
 */
import session from 'express-session';
import type { LarderError } from '../../core/errors.js';
import { reportTo } from '../../session/report-to.js';
import { SessionEngine, type SessionObject } from '../../session/session-engine.js';
import { allSessions, clearSessions, countSessions } from '../../session/session-listing.js';
import { resolveSessionOptions, type SessionStoreOptions } from '../../session/session-options.js';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/** Settle `callback` (when given) with `work`. */
function settle<T>(work: Promise<T>, callback: Callback<T> | undefined): void {
  work.then(
    (value) => callback?.(null, value),
    (error: unknown) => callback?.(error as LarderError),
  );
}

/**
 * An express-session store on a Larder cache: concurrent requests of one
 * session keep each other's changes, a destroyed session stays destroyed, and
 * `touch` stores the cookie's new expiry. With `database`, Postgres keeps the
 * sessions (`cached_db`). Emits `error` for what it refused or could not do,
 * when listened to. It never emits `disconnect`: with the cache down, loads
 * miss and saves fail with `E_SESSION_UNAVAILABLE` (docs/sessions.md).
 * @example
 * app.use(session({
 *   secret: process.env.COOKIE_SECRET,
 *   resave: false,
 *   saveUninitialized: false,
 *   store: new LarderSessionStore({ cache, secret: process.env.SESSION_KEY_SECRET }),
 * }));
 */
export class LarderSessionStore extends session.Store {
  readonly #engine: SessionEngine;

  constructor(options: SessionStoreOptions) {
    super();
    this.#engine = new SessionEngine(resolveSessionOptions(options, 'LarderSessionStore'), reportTo(this));
  }

  /** `cached_db`: create the table if it does not exist (idempotent). */
  async setup(): Promise<void> {
    await this.#engine.table?.setup();
  }

  /** `cached_db`: delete expired rows in short batches; resolves how many. */
  async removeExpired(options?: { batchSize?: number; maxBatches?: number }): Promise<number> {
    return (await this.#engine.table?.removeExpired(options)) ?? 0;
  }

  override get(sid: string, callback: (error: unknown, session?: session.SessionData | null) => void): void {
    settle(
      this.#engine.load(sid).then((found) => (found ?? null) as session.SessionData | null),
      callback as Callback<session.SessionData | null>,
    );
  }

  override set(sid: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    settle(this.#engine.save(sid, data as unknown as SessionObject), callback);
  }

  override touch(sid: string, data: session.SessionData, callback?: () => void): void {
    settle(this.#engine.touch(sid, data as unknown as SessionObject), callback as Callback | undefined);
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    settle(this.#engine.destroy(sid), callback);
  }

  /** Every live session, keyed by store key (a keyed hash, never the id). */
  override all(
    callback: (error: unknown, sessions?: Record<string, session.SessionData> | null) => void,
  ): void {
    settle(allSessions(this.#engine) as unknown as Promise<Record<string, session.SessionData>>, callback);
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    settle(countSessions(this.#engine), callback);
  }

  override clear(callback?: (error?: unknown) => void): void {
    settle(clearSessions(this.#engine), callback);
  }
}
