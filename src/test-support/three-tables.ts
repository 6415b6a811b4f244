/**
 * The fixture of the data-dependency tests: a private Postgres (wal_level=logical)
 * with tables a, b and c (one row each, `v = 1`), a cache on the shared Redis
 * under a unique prefix, the CDC listener on it, and a cached pool whose first
 * queries have learned the session and the catalog.
 */
import pg from 'pg';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { type CachedPool, cachedPool } from '../sql/cached-pool.js';
import { type CdcListener, createCdcListener } from '../sql/cdc/cdc-listener.js';
import type { DatabaseIdentity } from '../sql/table-tags.js';
import { type RedisStore, redisStore } from '../stores/redis/redis-store.js';
import { redisUrl, uniquePrefix } from './env.js';
import { type PostgresServer, startPostgresServer } from './postgres-server.js';

/** What the tests use. */
export interface ThreeTables {
  readonly server: PostgresServer;
  /** A plain pg client: its writes reach the cache only through the WAL listener. */
  readonly psql: pg.Client;
  /** The pool under the cached one: its reads are invisible to the cache. */
  readonly raw: pg.Pool;
  readonly cache: Cache;
  readonly listener: CdcListener;
  readonly pool: CachedPool;
  readonly db: DatabaseIdentity;
  /** `SELECT v FROM <table> WHERE id = 1`, through the cached pool or the raw one. */
  value(table: string, via?: 'cached' | 'raw'): Promise<number>;
  /** Stop everything and remove what it wrote. */
  close(): Promise<void>;
}

/** Start the fixture (`name` goes into the cache prefix). */
export async function startThreeTables(name: string): Promise<ThreeTables> {
  const prefix = uniquePrefix(name);
  const server = await startPostgresServer();
  const psql = new pg.Client(server.url);
  await psql.connect();
  await psql.query(`
    CREATE TABLE a (id int PRIMARY KEY, v int);
    CREATE TABLE b (id int PRIMARY KEY, v int);
    CREATE TABLE c (id int PRIMARY KEY, v int);
    INSERT INTO a VALUES (1, 1); INSERT INTO b VALUES (1, 1); INSERT INTO c VALUES (1, 1);`);
  const store: RedisStore = redisStore({ url: redisUrl() });
  const cache = createCache({ store, prefix, defaultTtl: '5m' });
  const listener = createCdcListener({
    cache,
    connection: server.url,
    logger: { warn() {} },
    statusInterval: 1_000,
  });
  await listener.start();
  const db = listener.identity as DatabaseIdentity;
  const raw = new pg.Pool({ connectionString: server.url, max: 4 });
  const pool = cachedPool(raw, cache, { identity: db });
  const value = async (table: string, via: 'cached' | 'raw' = 'cached'): Promise<number> => {
    const text = `SELECT v FROM ${table} WHERE id = 1`;
    const { rows } =
      via === 'cached' ? await pool.query<{ v: number }>(text) : await raw.query<{ v: number }>(text);
    return (rows[0] as { v: number }).v;
  };
  // The first queries learn the session and the catalog; from then on they are cached reads.
  for (const table of ['a', 'b', 'c']) await value(table);
  return {
    server,
    psql,
    raw,
    cache,
    listener,
    pool,
    db,
    value,
    async close() {
      await cache.idle();
      await listener.dropSlot();
      await pool.end();
      await psql.end();
      await store.clear(prefix);
      await cache.close();
      await server.stop();
    },
  };
}
