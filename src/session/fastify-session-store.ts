/**
 * The @fastify/session store: its callback contract (`get`, `set`,
 * `destroy`) over the session engine. @fastify/session copies the loaded
 * object's properties into its `Session` and passes that back to `set`, so
 * the loaded marker (loaded-session.ts) arrives with it.
 */
import { EventEmitter } from 'node:events';
import type { LarderError } from '../core/errors.js';
import { reportTo } from './report-to.js';
import { SessionEngine, type SessionObject } from './session-engine.js';
import { allSessions, clearSessions, countSessions } from './session-listing.js';
import { resolveSessionOptions, type SessionStoreOptions } from './session-options.js';

type Callback<T = void> = (error?: Error | null, value?: T) => void;

/**
 * A @fastify/session store on a Larder cache (`cached_db` with `database`).
 * Emits `error` for what it refused or could not do, when listened to.
 * @example
 * app.register(fastifySession, {
 *   secret: process.env.COOKIE_SECRET,
 *   store: new FastifySessionStore({ cache, secret: process.env.SESSION_KEY_SECRET }),
 * });
 */
export class FastifySessionStore extends EventEmitter {
  readonly #engine: SessionEngine;

  constructor(options: SessionStoreOptions) {
    super();
    const resolved = resolveSessionOptions(options, 'FastifySessionStore');
    this.#engine = new SessionEngine(resolved, reportTo(this));
  }

  /** `cached_db`: create the table if it does not exist (idempotent). */
  async setup(): Promise<void> {
    await this.#engine.table?.setup();
  }

  /** `cached_db`: delete expired rows in short batches; resolves how many. */
  async removeExpired(options?: { batchSize?: number; maxBatches?: number }): Promise<number> {
    return (await this.#engine.table?.removeExpired(options)) ?? 0;
  }

  /**
   * The session stored for `sessionId`, or `null`. The callback's value is
   * typed `never` so that @fastify/session's own callback type (its
   * `Session`) fits: the object passed is a plain session with its cookie.
   */
  get(sessionId: string, callback: Callback<never>): void {
    this.#engine.load(sessionId).then(
      (session) => callback(null, (session ?? null) as never),
      (error: unknown) => callback(error as LarderError),
    );
  }

  set(sessionId: string, session: object, callback: Callback): void {
    this.#engine.save(sessionId, session as SessionObject).then(
      () => callback(null),
      (error: unknown) => callback(error as LarderError),
    );
  }

  destroy(sessionId: string, callback: Callback): void {
    this.#engine.destroy(sessionId).then(
      () => callback(null),
      (error: unknown) => callback(error as LarderError),
    );
  }

  /** Every live session, keyed by store key (a keyed hash, never the id). */
  all(): Promise<Record<string, SessionObject>> {
    return allSessions(this.#engine);
  }

  /** How many live sessions there are. */
  length(): Promise<number> {
    return countSessions(this.#engine);
  }

  /** Delete every session. */
  clear(): Promise<void> {
    return clearSessions(this.#engine);
  }
}
