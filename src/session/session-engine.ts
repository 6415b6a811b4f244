/**
 * The session store behind the express-session and @fastify/session
 * adapters: load, save by changes with compare-and-set, destroy with a
 * tombstone, in two modes (docs/sessions.md, decision 0009):
 *
 * - cache only: the cache holds the sessions; a save is one compare-and-set
 *   on the bytes the request loaded, re-read and re-applied when another
 *   request wrote meanwhile;
 * - `cached_db`: a Postgres row holds each session and a version; a save is
 *   an `UPDATE … WHERE version = $loaded`, then the cache copy is replaced
 *   (never by an older version); a load reads the cache, and Postgres when the
 *   cache misses or is down.
 */
import { isLarderError, LarderError } from '../core/errors.js';
import { LoadedSession, loadedFrom, markLoaded } from './loaded-session.js';
import { applyChanges, type SessionChanges, type SessionData, sessionChanges } from './session-changes.js';
import { SessionKeys } from './session-key.js';
import type { ResolvedSessionOptions } from './session-options.js';
import { decodeRecord, encodeLive, type LiveRecord, Malformed, TOMBSTONE } from './session-record.js';
import { type SessionTable, sessionTable } from './session-table.js';
import { cookieOf, ownChanges, unavailable } from './session-values.js';
import { WriteQueue } from './write-queue.js';

/** The longest wait between two attempts of a save. */
const MAX_BACKOFF_MS = 250;

/** A session as the frameworks hold it: fields plus `cookie`. */
export type SessionObject = Record<string, unknown>;

/** Where the engine reports what it refused or could not do (the adapters emit it). */
export type SessionReport = (error: LarderError) => void;

/** What one attempt of a save works from: the stored fields and how to replace them. */
interface Base {
  readonly fields: SessionData;
  readonly token?: LoadedSession['token'] | undefined;
  readonly version?: number | undefined;
  /** Read by this attempt (not the copy the request loaded earlier). */
  readonly fresh?: boolean;
}

/** The engine; one per store object. */
export class SessionEngine {
  readonly #o: ResolvedSessionOptions;
  readonly #report: SessionReport;
  readonly #table: SessionTable | undefined;
  readonly #queue = new WriteQueue();
  readonly #keys: SessionKeys;

  constructor(options: ResolvedSessionOptions, report: SessionReport) {
    this.#o = options;
    this.#keys = new SessionKeys(options.secret);
    this.#report = report;
    const database = options.database;
    this.#table =
      database === undefined
        ? undefined
        : sessionTable({
            pool: database.pool,
            clock: options.clock,
            ...(database.table === undefined ? {} : { table: database.table }),
          });
  }

  /** The store key of an id (memoized), or undefined for an id that cannot be one. */
  keyOf(id: unknown): string | undefined {
    return this.#keys.of(id);
  }

  /** The Postgres table in `cached_db` mode. */
  get table(): SessionTable | undefined {
    return this.#table;
  }

  /** The expiry instant a session's cookie asks for, else the default TTL from now. */
  #expiresAt(cookie: SessionData): number {
    const expires = cookie.expires;
    if (typeof expires === 'string' || typeof expires === 'number' || expires instanceof Date) {
      const at = new Date(expires).getTime();
      if (Number.isFinite(at)) return at;
    }
    return this.#o.clock.now() + this.#o.ttlMs;
  }

  /** Decode `stored`, reporting what is refused (never served). */
  #decode(key: string, stored: unknown): LiveRecord | 'gone' | 'absent' {
    const record = decodeRecord(key, stored, this.#o.maxBytes);
    if (record instanceof Malformed) {
      this.#report(
        new LarderError('E_DECODE', `session value refused (read as no session): ${record.reason}`),
      );
      return 'absent';
    }
    if (typeof record !== 'string' && record.expiresAt <= this.#o.clock.now()) return 'absent';
    return record;
  }

  /** The session stored for `id` with its loaded marker, or undefined (no session). */
  async load(id: unknown): Promise<SessionObject | undefined> {
    const key = this.keyOf(id);
    if (key === undefined) return undefined;
    const { cache } = this.#o;
    let read: Awaited<ReturnType<typeof cache.gets<unknown>>> | undefined;
    try {
      read = await cache.gets<unknown>(key);
    } catch (error) {
      // Cache only: a miss (the application decides what no session means).
      // cached_db: Postgres answers instead.
      this.#report(unavailable('load', error));
    }
    const cached = read === undefined ? 'absent' : this.#decode(key, read.value);
    if (cached === 'gone') return undefined;
    if (cached !== 'absent')
      return this.#materialize(key, cached, read?.value as string, read?.token, cached.version);
    const table = this.#table;
    if (table === undefined) return undefined;
    const row = await table.load(key);
    if (row === undefined) return undefined;
    const record = this.#decode(key, row.record);
    if (typeof record === 'string') return undefined;
    // The cache could be asked: put the row there, replacing only what was read.
    if (read !== undefined) void this.#cacheRow(key, { ...record, version: row.version }, read.token);
    return this.#materialize(key, record, row.record, undefined, row.version);
  }

  #materialize(
    key: string,
    record: LiveRecord,
    text: string,
    token: LoadedSession['token'],
    version: number | undefined,
  ): SessionObject {
    // The record was parsed for this load alone: its fields go to the
    // application as they are, and the snapshot is parsed again from the text.
    const session: SessionObject = { ...record.fields, cookie: record.cookie };
    markLoaded(session, new LoadedSession(key, text, token, version, record.expiresAt));
    return session;
  }

  /**
   * Save `session` by its changes since it was loaded; a session the store
   * destroyed (or let expire) meanwhile stays gone. Rejects with
   * `E_SESSION_UNAVAILABLE` (cache only, cache down), `E_SESSION_CONFLICT`
   * (retries exhausted) or the database's error (`cached_db`).
   */
  async save(id: unknown, session: SessionObject): Promise<void> {
    const key = this.keyOf(id);
    if (key === undefined)
      throw new LarderError(
        'E_INVALID_ARGUMENT',
        'session save: the session id is not a string of 1 to 512 characters',
      );
    const loaded = loadedFrom(session, key);
    const changes = ownChanges(sessionChanges(loaded?.fields, session));
    const cookie = cookieOf(session);
    const expiresAt = this.#expiresAt(cookie);
    if (expiresAt <= this.#o.clock.now()) return this.destroy(id);
    const table = this.#table;
    const saved = await this.#queue.inTurn(key, () =>
      table === undefined
        ? this.#saveInCache(key, loaded, changes, cookie, expiresAt)
        : this.#saveInTable(table, key, loaded, changes, cookie, expiresAt),
    );
    if (saved !== undefined) markLoaded(session, saved);
  }

  /**
   * `touch`: the cookie's new expiry is stored (and the TTL follows), unless
   * it moves the stored one by less than `touchAfter` (a tenth of the
   * cookie's lifetime by default): a read-only request then writes nothing,
   * and in `cached_db` mode costs no Postgres query.
   */
  async touch(id: unknown, session: SessionObject): Promise<void> {
    const key = this.keyOf(id);
    const loaded = key === undefined ? undefined : loadedFrom(session, key);
    if (loaded !== undefined) {
      const cookie = cookieOf(session);
      const moved = this.#expiresAt(cookie) - loaded.expiresAt;
      if (moved < this.#touchAfterMs(cookie, loaded.expiresAt)) return;
    }
    return this.save(id, session);
  }

  #touchAfterMs(cookie: SessionData, storedExpiresAt: number): number {
    if (this.#o.touchAfterMs !== undefined) return this.#o.touchAfterMs;
    const lifetimeMs =
      typeof cookie.originalMaxAge === 'number' && cookie.originalMaxAge > 0
        ? cookie.originalMaxAge
        : Math.max(0, storedExpiresAt - this.#o.clock.now()) || this.#o.ttlMs;
    return lifetimeMs / 10;
  }

  #checkSize(text: string): void {
    if (Buffer.byteLength(text, 'utf8') > this.#o.maxBytes)
      throw new LarderError(
        'E_INVALID_ARGUMENT',
        `session save: the session is larger than maxBytes (${this.#o.maxBytes}); nothing was written`,
      );
  }

  async #saveInCache(
    key: string,
    loaded: LoadedSession | undefined,
    changes: SessionChanges,
    cookie: SessionData,
    expiresAt: number,
  ): Promise<LoadedSession | undefined> {
    const { cache, retries, clock } = this.#o;
    let base: Base | undefined = loaded?.token === undefined ? undefined : loaded;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        if (base === undefined) {
          const read = await cache.gets<unknown>(key);
          const current = this.#decode(key, read.value);
          // Destroyed, or expired, since this request loaded it: it stays gone.
          if (current === 'gone' || (current === 'absent' && loaded !== undefined)) return undefined;
          base = { fields: current === 'absent' ? {} : current.fields, token: read.token, fresh: true };
        }
        const fields = applyChanges(base.fields, changes);
        const text = encodeLive(key, { fields, cookie, expiresAt });
        this.#checkSize(text);
        const ttl = Math.max(1, expiresAt - clock.now());
        const token = base.token;
        if (token === undefined) throw new Error('unreachable: a cache base has a token');
        if ((await cache.compareAndSet(key, text, token, { ttl, grace: false })) === 'stored')
          return new LoadedSession(key, fields, undefined, undefined, expiresAt);
      } catch (error) {
        if (isLarderError(error) && error.code === 'E_INVALID_ARGUMENT') throw error;
        throw unavailable('save', error);
      }
      // Another request wrote first: read its session and apply ours on it, at
      // once when what lost was the loaded copy (stale, not contended), after
      // a random wait when a fresh read lost too.
      if (base.fresh === true) await this.#backOff(attempt);
      base = undefined;
    }
    throw this.#conflict();
  }

  async #saveInTable(
    table: SessionTable,
    key: string,
    loaded: LoadedSession | undefined,
    changes: SessionChanges,
    cookie: SessionData,
    expiresAt: number,
  ): Promise<LoadedSession | undefined> {
    let base: Base | undefined = loaded?.version === undefined ? undefined : loaded;
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      if (base === undefined) {
        const row = await table.load(key);
        const current = row === undefined ? 'absent' : this.#decode(key, row.record);
        if (current === 'gone' || (current === 'absent' && loaded !== undefined)) return undefined;
        base =
          current === 'absent' || row === undefined
            ? { fields: {}, fresh: true }
            : { fields: current.fields, version: row.version, fresh: true };
      }
      const fields = applyChanges(base.fields, changes);
      const text = encodeLive(key, { fields, cookie, expiresAt });
      this.#checkSize(text);
      const version =
        base.version === undefined
          ? await table.insert(key, text, expiresAt)
          : await table.update(key, text, base.version, expiresAt);
      if (version !== undefined) {
        // The first attempt's token names the bytes this request loaded from the cache.
        await this.#cacheRow(
          key,
          { fields, cookie, expiresAt, version },
          attempt === 0 ? loaded?.token : undefined,
        );
        return new LoadedSession(key, fields, undefined, version, expiresAt);
      }
      if (base.fresh === true) await this.#backOff(attempt);
      base = undefined;
    }
    throw this.#conflict();
  }

  /**
   * Put a row's record in the cache unless the cache holds a newer version or
   * a tombstone. Never rejects: on a failure the key is deleted (journaled
   * until the cache answers), so that no old copy outlives the outage.
   */
  async #cacheRow(key: string, record: LiveRecord, token: LoadedSession['token']): Promise<void> {
    const { cache, clock } = this.#o;
    const text = encodeLive(key, record);
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        if (token === undefined) {
          const read = await cache.gets<unknown>(key);
          const current = decodeRecord(key, read.value, this.#o.maxBytes);
          if (current === 'gone') return;
          if (
            typeof current === 'object' &&
            !(current instanceof Malformed) &&
            (current.version ?? 0) >= (record.version ?? 0)
          )
            return;
          token = read.token;
        }
        const ttl = Math.max(1, record.expiresAt - clock.now());
        if ((await cache.compareAndSet(key, text, token, { ttl, grace: false })) === 'stored') return;
        token = undefined;
      }
    } catch (error) {
      this.#report(unavailable('cache copy', error));
      await cache.delete(key).catch(() => undefined);
    }
  }

  /**
   * Destroy the session: a tombstone replaces it for `tombstoneTtl`, so a save
   * of the old session still in flight finds it gone. `cached_db`: the row is
   * deleted first; the cache's tombstone then follows as best it can.
   */
  async destroy(id: unknown): Promise<void> {
    const key = this.keyOf(id);
    if (key === undefined) return;
    const table = this.#table;
    await this.#queue.inTurn(key, async () => {
      if (table !== undefined) await table.remove(key);
      try {
        await this.#tombstone(key);
      } catch (error) {
        if (table === undefined) throw unavailable('destroy', error);
        this.#report(unavailable('destroy (cache copy)', error));
        await this.#o.cache.delete(key).catch(() => undefined);
      }
    });
  }

  async #tombstone(key: string): Promise<void> {
    const { cache, tombstoneTtlMs, retries } = this.#o;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const { token } = await cache.gets(key);
      if (
        (await cache.compareAndSet(key, TOMBSTONE, token, { ttl: tombstoneTtlMs, grace: false })) === 'stored'
      )
        return;
      await this.#backOff(attempt);
    }
    throw this.#conflict();
  }

  /**
   * After a lost race, wait a random 0 to 2^attempt ms (at most 250): many
   * writers of one session that retried at once would collide again; spread
   * out, one wins per round trip.
   */
  #backOff(attempt: number): Promise<void> {
    const ms = this.#o.random() * Math.min(2 ** attempt, MAX_BACKOFF_MS);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  #conflict(): LarderError {
    const error = new LarderError(
      'E_SESSION_CONFLICT',
      `session save: lost the compare-and-set race ${this.#o.retries + 1} times to other requests of the same session`,
    );
    this.#report(error);
    return error;
  }

  /** @internal for the listing functions. */
  get options(): ResolvedSessionOptions {
    return this.#o;
  }

  /** @internal the decoder the listing functions share. */
  decode(key: string, stored: unknown): LiveRecord | 'gone' | 'absent' {
    return this.#decode(key, stored);
  }
}
