/**
 * `cachedPool(pool, cache, options)`: a `pg.Pool` behind the query cache, with
 * the Pool interface that raw `pg`, Kysely, Drizzle, Prisma's adapter-pg and
 * TypeORM use. An explicit wrapper: the pool and its clients are not patched.
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
import { type CachedClient, wrapPoolClient } from './cached-client.js';
import { connectionState } from './connection-state.js';
import { forwardEvents } from './forward-events.js';
import type { PgPoolClientLike, PgPoolLike } from './pg-like.js';
import { poolQuery } from './pool-query.js';
import { parseQueryArgs, toCallback } from './query-call.js';
import { SqlEngine } from './sql-engine.js';
import { type CachedSqlOptions, resolveSqlOptions } from './sql-options.js';
import type { SqlStats } from './sql-stats.js';

type Callback<R> = (error: Error, result: R) => void;
type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * A node-postgres pool whose reads go through the cache. Same interface as
 * `pg.Pool`; its clients (`connect()`) are `CachedClient`s, one per
 * connection, tracking their transactions.
 */
export class CachedPool extends EventEmitter implements pg.Pool {
  readonly #raw: pg.Pool;
  readonly #engine: SqlEngine;
  readonly #clients = new WeakMap<object, CachedClient>();

  /** Wrap `raw` with `engine` (see `cachedPool`). */
  constructor(raw: pg.Pool, engine: SqlEngine) {
    super();
    this.#raw = raw;
    this.#engine = engine;
    forwardEvents(
      this,
      raw,
      (arg) => (isClient(arg) ? this.#wrap(arg) : arg),
      (event, args, emit) => {
        const client = args[0];
        if (event !== 'connect' || !isClient(client)) return emit();
        const state = connectionState(client);
        state.configuring = true;
        try {
          emit();
        } finally {
          state.configuring = false;
        }
      },
    );
  }

  /** The wrapped pool. Queries sent through it bypass the cache and its transaction tracking. */
  get raw(): pg.Pool {
    return this.#raw;
  }

  /** Hit, miss and bypass counters per query fingerprint, and invalidations per table. */
  stats(): SqlStats {
    return this.#engine.counters.snapshot();
  }

  get totalCount(): number {
    return this.#raw.totalCount;
  }
  get idleCount(): number {
    return this.#raw.idleCount;
  }
  get waitingCount(): number {
    return this.#raw.waitingCount;
  }
  get expiredCount(): number {
    return this.#raw.expiredCount;
  }
  get ending(): boolean {
    return this.#raw.ending;
  }
  get ended(): boolean {
    return this.#raw.ended;
  }
  get options(): pg.PoolOptions {
    return this.#raw.options;
  }

  connect(): Promise<pg.PoolClient>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const wrapped = this.#raw.connect().then((client) => this.#wrap(client));
    if (callback === undefined) return wrapped;
    wrapped.then(
      (client) =>
        callback(undefined, client, (release?: unknown) => client.release(release as Error | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  end(): Promise<void>;
  end(callback: () => void): void;
  end(callback?: () => void): Promise<void> | void {
    if (callback === undefined) return this.#raw.end();
    this.#raw.end(callback);
  }

  query<T extends Submittable>(queryStream: T): T;
  query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: QueryArrayConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<QueryArrayResult<R>>;
  query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(
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
    // A cursor or stream through pool.query: pg-pool's own handling (checkout, release at the end).
    if (input.kind === 'submittable') {
      spoilDependencies(); // rows the cache never sees: a cached computation around it is not stored
      return this.#raw.query(input.submittable);
    }
    const result = poolQuery(this.#engine, this.#raw as unknown as PgPoolLike, input.call);
    if (input.call.callback === undefined) return result;
    toCallback(result, input.call.callback);
    return undefined;
  }

  /** The one wrapper of a pooled connection, so that `connect()` returns the same object for it every time. */
  #wrap(client: pg.PoolClient): CachedClient {
    let wrapped = this.#clients.get(client);
    if (wrapped === undefined) {
      wrapped = wrapPoolClient(client as unknown as PgPoolClientLike, this.#engine);
      this.#clients.set(client, wrapped);
    }
    return wrapped;
  }
}

function isClient(value: unknown): value is pg.PoolClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as pg.PoolClient).query === 'function' &&
    typeof (value as pg.PoolClient).release === 'function'
  );
}

/**
 * Wrap a node-postgres pool so that its reads are served from `cache` and its
 * writes invalidate after COMMIT. Hand the result to your ORM in place of the pool.
 *
 * @example
 * import pg from 'pg';
 * import { createCache } from 'larder';
 * import { redisStore } from 'larder/redis';
 * import { cachedPool } from 'larder/sql';
 *
 * const cache = createCache({ store: redisStore({ url: process.env.REDIS_URL }) });
 * const pool = cachedPool(new pg.Pool({ connectionString: process.env.DATABASE_URL }), cache, { ttl: '5m' });
 * const { rows } = await pool.query('SELECT * FROM products WHERE id = $1', [id]);
 */
export function cachedPool(pool: pg.Pool, cache: Cache, options?: CachedSqlOptions): CachedPool {
  return new CachedPool(pool, new SqlEngine(cache, resolveSqlOptions(options)));
}
