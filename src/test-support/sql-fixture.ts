/**
 * What the `larder/sql` integration tests share: a schema of their own on the
 * test Postgres, pools whose search_path points at it, and a cache on the
 * shared Redis under a unique prefix — all removed by `close()`.
 */
import pg from 'pg';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { type RedisStore, redisStore } from '../stores/redis/redis-store.js';
import { databaseUrl, redisUrl, uniquePrefix, uniqueSchema } from './env.js';

/** One test file's database and cache. */
export interface SqlFixture {
  /** The file's own schema (already created). */
  readonly schema: string;
  /** A pool outside the wrapper, for setup and for reading what the database really holds. */
  readonly admin: pg.Pool;
  readonly cache: Cache;
  readonly prefix: string;
  /** A new raw pool with search_path = `schemas` (default: the file's schema); closed by `close()`. */
  pool(config?: pg.PoolConfig & { readonly searchPath?: readonly string[] }): pg.Pool;
  /** A new raw client (not connected) with the file's search_path; closed by `close()`. */
  client(): pg.Client;
  /** A cache on the same Redis with another prefix (another "app"), closed by `close()`. */
  otherCache(): Cache;
  close(): Promise<void>;
}

/**
 * Create a schema and a Redis-backed cache for one test file.
 * @example const fx = await sqlFixture('cached_pool'); await fx.admin.query(`CREATE TABLE ${fx.schema}.t (id int)`);
 */
export async function sqlFixture(name: string): Promise<SqlFixture> {
  const schema = uniqueSchema(name);
  const admin = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const stores: RedisStore[] = [];
  const prefixes: string[] = [];
  const caches: Cache[] = [];
  const newCache = (): Cache => {
    const store = redisStore({ url: redisUrl() });
    const prefix = uniquePrefix(`sql-${name}`);
    stores.push(store);
    prefixes.push(prefix);
    const cache = createCache({ store, prefix, defaultTtl: '5m' });
    caches.push(cache);
    return cache;
  };
  const cache = newCache();
  const pools: pg.Pool[] = [];
  const clients: pg.Client[] = [];
  const options = (path: readonly string[]) => `-c search_path=${path.join(',')}`;
  return {
    schema,
    admin,
    cache,
    prefix: prefixes[0] as string,
    pool(config = {}) {
      const { searchPath = [schema], ...rest } = config;
      const pool = new pg.Pool({
        connectionString: databaseUrl(),
        max: 4,
        options: options(searchPath),
        ...rest,
      });
      pools.push(pool);
      return pool;
    },
    client() {
      const client = new pg.Client({ connectionString: databaseUrl(), options: options([schema]) });
      clients.push(client);
      return client;
    },
    otherCache: newCache,
    async close() {
      await Promise.all(caches.map((c) => c.idle()));
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await Promise.all(pools.map((p) => (p.ended || p.ending ? undefined : p.end())));
      for (let i = 0; i < stores.length; i++) await (stores[i] as RedisStore).clear(prefixes[i] as string);
      await Promise.all(caches.map((c) => c.close()));
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}
