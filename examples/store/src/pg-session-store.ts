/**
 * Sessions in Postgres, as most shops keep them (the shop's modes other than
 * `full`, and the "Postgres-only" contender of bench/sessions.ts): an express-session
 * store on `pg` alone, as connect-pg-simple does it: one table, a SELECT per
 * load, an upsert of the whole session per save, an UPDATE of the expiry per
 * touch (a request that read the session without changing it).
 */
import session from 'express-session';
import type pg from 'pg';

/** One day, express-session's usual lifetime for a session without a cookie expiry. */
const DEFAULT_LIFETIME_MS = 86_400_000;

/** The table's statement, for the runner to create it once per run. */
export function pgSessionTableSql(table: string): string {
  return `CREATE TABLE ${table} (
    sid text PRIMARY KEY,
    sess json NOT NULL,
    expire timestamptz NOT NULL
  )`;
}

type Callback<T = unknown> = (error?: unknown, value?: T) => void;

/** Sessions in `table` (on the pool's search_path). */
export class PgSessionStore extends session.Store {
  readonly #pool: pg.Pool;
  readonly #table: string;

  constructor(pool: pg.Pool, table: string) {
    super();
    this.#pool = pool;
    this.#table = table;
  }

  #expireAt(data: session.SessionData): Date {
    const expires = data.cookie?.expires;
    return expires instanceof Date ? expires : new Date(Date.now() + DEFAULT_LIFETIME_MS);
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.#pool
      .query<{ sess: session.SessionData }>(
        `SELECT sess FROM ${this.#table} WHERE sid = $1 AND expire >= now()`,
        [sid],
      )
      .then(
        (result) => callback(null, result.rows[0]?.sess ?? null),
        (error: unknown) => callback(error),
      );
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#pool
      .query(
        `INSERT INTO ${this.#table} (sid, sess, expire) VALUES ($1, $2, $3)
         ON CONFLICT (sid) DO UPDATE SET sess = EXCLUDED.sess, expire = EXCLUDED.expire`,
        [sid, JSON.stringify(data), this.#expireAt(data)],
      )
      .then(
        () => callback?.(null),
        (error: unknown) => callback?.(error),
      );
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#pool
      .query(`UPDATE ${this.#table} SET expire = $2 WHERE sid = $1`, [sid, this.#expireAt(data)])
      .then(
        () => callback?.(null),
        (error: unknown) => callback?.(error),
      );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#pool.query(`DELETE FROM ${this.#table} WHERE sid = $1`, [sid]).then(
      () => callback?.(null),
      (error: unknown) => callback?.(error),
    );
  }
}
