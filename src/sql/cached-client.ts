/**
 * `cachedClient(client, cache, options)`: a `pg.Client` (or a checked-out
 * `pg.PoolClient`) behind the query cache. The wrapper is a plain object with
 * the client's interface; nothing of `pg` is patched.
 */
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type {
  QueryArrayConfig,
  QueryArrayResult,
  QueryConfig,
  QueryResult,
  QueryResultRow,
  Submittable,
} from 'pg';
import { spoilDependencies } from '../core/dependency-scope.js';
import type { Cache } from '../core/types.js';
import { connectionState } from './connection-state.js';
import { forwardEvents } from './forward-events.js';
import type { PgClientLike, PgPoolClientLike } from './pg-like.js';
import { parseQueryArgs, toCallback } from './query-call.js';
import { SqlEngine } from './sql-engine.js';
import { type CachedSqlOptions, resolveSqlOptions } from './sql-options.js';
import type { SqlStats } from './sql-stats.js';

type RawClient = pg.Client & Partial<Pick<pg.PoolClient, 'release'>>;
type Callback<R> = (error: Error, result: R) => void;

/**
 * A node-postgres client whose reads go through the cache. Same interface as
 * `pg.Client` / `pg.PoolClient`; everything but `query` is the wrapped client's.
 */
export class CachedClient extends EventEmitter implements pg.PoolClient {
  readonly #raw: RawClient;
  readonly #engine: SqlEngine;

  /** Wrap `raw` with an engine (shared with a pool's other clients, or this client's own). */
  constructor(raw: pg.Client | pg.PoolClient, engine: SqlEngine) {
    super();
    this.#raw = raw as RawClient;
    this.#engine = engine;
    forwardEvents(this, raw as unknown as EventEmitter, (arg) => arg);
  }

  /** The wrapped client. Queries sent through it bypass the cache and its transaction tracking. */
  get raw(): pg.Client {
    return this.#raw;
  }

  /** Hit, miss and bypass counters (shared with the pool this client came from). */
  stats(): SqlStats {
    return this.#engine.counters.snapshot();
  }

  query<T extends Submittable>(queryStream: T): T;
  query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: QueryArrayConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<QueryArrayResult<R>>;
  query<R extends QueryResultRow = QueryResultRow, I = unknown>(
    queryConfig: QueryConfig<I>,
  ): Promise<QueryResult<R>>;
  query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(
    queryTextOrConfig: string | QueryConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<QueryResult<R>>;
  query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: QueryArrayConfig<I>,
    callback: Callback<QueryArrayResult<R>>,
  ): void;
  query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(
    queryTextOrConfig: string | QueryConfig<I>,
    callback: Callback<QueryResult<R>>,
  ): void;
  query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(
    queryText: string,
    values: pg.QueryConfigValues<I>,
    callback: Callback<QueryResult<R>>,
  ): void;
  query(config: unknown, values?: unknown, callback?: unknown): unknown {
    const input = parseQueryArgs(config, values, callback);
    const raw = this.#raw as unknown as PgClientLike;
    if (input.kind === 'submittable') {
      // A Submittable streams rows the cache never sees: a cached computation around it is not stored.
      spoilDependencies();
      return this.#engine.tracked.submit(raw, input.submittable);
    }
    const result = this.#engine.tracked.confirm(
      input.call,
      this.#engine.run(raw, input.call, connectionState(raw).configuring),
    );
    if (input.call.callback === undefined) return result;
    toCallback(result, input.call.callback);
    return undefined;
  }

  /** Return a pooled client to its pool (`pg.PoolClient#release`). */
  release(error?: Error | boolean): void {
    const release = this.#raw.release;
    if (typeof release !== 'function') throw new TypeError('release() is only available on a pooled client');
    release.call(this.#raw, error);
  }

  connect(): Promise<pg.Client>;
  connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
  connect(callback?: unknown): Promise<pg.Client> | undefined {
    const self = this as unknown as pg.Client;
    if (typeof callback !== 'function') return this.#raw.connect().then(() => self);
    const done = callback as (error: Error | null, client?: pg.Client) => void;
    this.#raw.connect((error: Error | null) => (error ? done(error) : done(null, self)));
  }

  end(): Promise<void>;
  end(callback: (err: Error) => void): void;
  end(callback?: (err: Error) => void): Promise<void> | void {
    if (callback === undefined) return this.#raw.end();
    this.#raw.end(callback);
  }

  get user(): string | undefined {
    return this.#raw.user;
  }
  get database(): string | undefined {
    return this.#raw.database;
  }
  get port(): number {
    return this.#raw.port;
  }
  get host(): string {
    return this.#raw.host;
  }
  get password(): string | undefined {
    return this.#raw.password;
  }
  get ssl(): boolean {
    return this.#raw.ssl;
  }
  get pipeline(): boolean {
    return this.#raw.pipeline;
  }
  get connection(): pg.Connection {
    return this.#raw.connection;
  }
  /** The backend's process id (`pg_backend_pid()`), once connected. */
  get processID(): number | null {
    return (this.#raw as unknown as { processID: number | null }).processID;
  }

  copyFrom(queryText: string): ReturnType<pg.Client['copyFrom']> {
    return this.#raw.copyFrom(queryText);
  }
  copyTo(queryText: string): ReturnType<pg.Client['copyTo']> {
    return this.#raw.copyTo(queryText);
  }
  pauseDrain(): void {
    this.#raw.pauseDrain();
  }
  resumeDrain(): void {
    this.#raw.resumeDrain();
  }
  escapeIdentifier(str: string): string {
    return this.#raw.escapeIdentifier(str);
  }
  escapeLiteral(str: string): string {
    return this.#raw.escapeLiteral(str);
  }
  readonly setTypeParser: pg.Client['setTypeParser'] = ((...args: unknown[]) =>
    (this.#raw.setTypeParser as (...a: unknown[]) => void)(...args)) as pg.Client['setTypeParser'];
  readonly getTypeParser: pg.Client['getTypeParser'] = ((...args: unknown[]) =>
    (this.#raw.getTypeParser as (...a: unknown[]) => unknown)(...args)) as pg.Client['getTypeParser'];
  getTransactionStatus(): ReturnType<pg.Client['getTransactionStatus']> {
    return this.#raw.getTransactionStatus();
  }
}

/**
 * Wrap a node-postgres client so that its reads are served from `cache` and
 * its writes invalidate after COMMIT. Connect it before or after wrapping.
 *
 * @example
 * import pg from 'pg';
 * import { cachedClient } from 'larder/sql';
 *
 * const client = cachedClient(new pg.Client(process.env.DATABASE_URL), cache, { ttl: '5m' });
 * await client.connect();
 * const { rows } = await client.query('SELECT * FROM products WHERE id = $1', [id]);
 */
export function cachedClient(
  client: pg.Client | pg.PoolClient,
  cache: Cache,
  options?: CachedSqlOptions,
): CachedClient {
  return new CachedClient(client, new SqlEngine(cache, resolveSqlOptions(options)));
}

/** A pooled client's wrapper, for `CachedPool#connect`. */
export function wrapPoolClient(client: PgPoolClientLike, engine: SqlEngine): CachedClient {
  return new CachedClient(client as unknown as pg.PoolClient, engine);
}
