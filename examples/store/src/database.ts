/**
 * The shop's connections to Postgres: a pg pool whose clients count every
 * statement that reaches the server, and, when a layer needs it, Larder's
 * cached pool over it.
 */
import type { Cache, Duration } from 'larder';
import { type CachedPool, cachedPool, type DatabaseIdentity, tableTag } from 'larder/sql';
import pg from 'pg';
import type { RequestStats } from './request-stats.js';

/** What the routes query through: `read` for pages, `write` for changes. */
export interface ShopDatabase {
  /** Reads: the cached pool in modes with the SQL layer, else the raw pool. */
  readonly read: pg.Pool;
  /** Writes: through the cached pool whenever a cache is on, so COMMIT bumps the tables' tags. */
  readonly write: pg.Pool;
  /** Never cached: sessions, logins. */
  readonly raw: pg.Pool;
  /** The tag of a table (public schema), for pages and fragments built from it. */
  tableTags(...tables: string[]): string[];
  readonly identity: DatabaseIdentity;
  end(): Promise<void>;
}

/** A raw pool whose statements are counted in `stats`. */
export function countingPool(
  connectionString: string,
  stats: RequestStats,
  log: (line: string) => void,
  max = 20,
): pg.Pool {
  class CountingClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; counting forwards them all.
    override query(...args: any[]): any {
      const first = args[0] as string | { text?: string; values?: unknown } | undefined;
      const text = typeof first === 'string' ? first : first?.text;
      const values = typeof first === 'string' ? args[1] : first?.values;
      if (text !== undefined) stats.dbQuery(text, typeof values === 'function' ? undefined : values);
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      return (super.query as (...a: any[]) => any)(...args);
    }
  }
  const pool = new pg.Pool({ connectionString, max, Client: CountingClient });
  // An idle connection that breaks (Postgres restarting, a network cut) is dropped and
  // replaced by the next checkout; without a listener it would crash the process.
  pool.on('error', (error) => log(`shop: an idle Postgres connection failed: ${error.message}`));
  return pool;
}

/** The database identity Larder's SQL layer and CDC listener tag tables with. */
export async function databaseIdentity(pool: pg.Pool): Promise<DatabaseIdentity> {
  const { rows } = await pool.query<{ system_id: string; database: string }>(
    'SELECT system_identifier::text AS system_id, current_database() AS database FROM pg_control_system()',
  );
  const row = rows[0];
  if (row === undefined) throw new Error('pg_control_system() returned no row');
  return { systemId: row.system_id, database: row.database };
}

/** The shop's database access for a mode: `cacheQueries` puts the SQL layer on reads. */
export async function openDatabase(
  raw: pg.Pool,
  cache: Cache | undefined,
  options: { readonly cacheQueries: boolean; readonly ttl: Duration; readonly naive: boolean },
): Promise<ShopDatabase> {
  const identity = await databaseIdentity(raw);
  const wrapped: CachedPool | undefined =
    cache === undefined ? undefined : cachedPool(raw, cache, { ttl: options.ttl, identity });
  const read =
    options.cacheQueries && cache !== undefined
      ? options.naive
        ? naiveCachedPool(raw, cache, options.ttl)
        : (wrapped as pg.Pool)
      : raw;
  return {
    read,
    write: (wrapped as pg.Pool | undefined) ?? raw,
    raw,
    identity,
    tableTags: (...tables) => tables.map((table) => tableTag(identity, 'public', table)),
    end: () => raw.end(),
  };
}

/**
 * Cache-aside without stampede protection, for the cold-start benchmark only:
 * get, and on a miss every caller queries and sets. No invalidation: the
 * benchmark that uses it does not write.
 */
function naiveCachedPool(raw: pg.Pool, cache: Cache, ttl: Duration): pg.Pool {
  const query = async (text: string, values?: unknown[]) => {
    const key = `naive:${JSON.stringify([text, values ?? []])}`;
    const found = await cache.get<{ rows: unknown[]; rowCount: number }>(key);
    if (found !== undefined) return found;
    const result = await raw.query(text, values);
    const value = { rows: result.rows, rowCount: result.rowCount ?? 0 };
    await cache.set(key, value, { ttl });
    return value;
  };
  return Object.assign(Object.create(raw) as pg.Pool, { query });
}
