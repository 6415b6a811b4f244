/**
 * A `pg.Pool` that counts the statements its connections send, for
 * "Postgres queries per request": an explicit subclass of `pg.Client`
 * handed to the pool through its `Client` option (no patching of `pg`), so
 * statements sent on a checked-out client (`pool.connect()`, transactions)
 * count as well as `pool.query`.
 */
import pg from 'pg';

/** A pool and its running count. */
export interface CountingPool {
  readonly pool: pg.Pool;
  /** Statements sent since the pool was made. */
  queries(): number;
}

/**
 * A pool on `connectionString` whose connections use `schema` as their
 * search_path (tables of the run's own, unqualified in every statement).
 * @example const { pool, queries } = countingPool(databaseUrl, 'larder_bench_sessions_1_ab');
 */
export function countingPool(connectionString: string, schema: string, max = 10): CountingPool {
  let count = 0;
  class CountingClient extends pg.Client {
    // pg's `query` has a dozen overloads; this one forwards any of them unchanged.
    override query(...args: unknown[]): never {
      count++;
      return (super.query as (...forwarded: unknown[]) => never)(...args);
    }
  }
  const pool = new pg.Pool({
    connectionString,
    max,
    options: `-c search_path=${schema}`,
    Client: CountingClient as unknown as new () => pg.ClientBase,
  });
  return { pool, queries: () => count };
}
