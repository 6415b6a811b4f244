/**
 * Test environment helpers: where the shared Redis is, and key prefixes that
 * cannot collide between runs, files or parallel test processes.
 */
import { randomBytes } from 'node:crypto';

/** The shared Redis for integration tests: `REDIS_URL`, default `redis://127.0.0.1:6379`. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/**
 * A prefix unique to this call: `larder-test.<name>.<pid>-<random>`. Tests on
 * the shared Redis write only under such a prefix and remove it afterwards. It
 * holds no `:`, `/` or `#` (a cache refuses those in a prefix), so it is a valid
 * cache prefix as it is; tests that write raw store keys append to it.
 * @example const prefix = uniquePrefix('redis-store');
 */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[:/#\s]/g, '-');
  return `larder-test.${safe}.${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The shared Postgres for integration tests: `DATABASE_URL`, default
 * `postgres://postgres@127.0.0.1:5432/postgres`. Tests create their own schema
 * (see uniqueSchema) and drop it afterwards.
 */
export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * A schema name unique to this call: `larder_test_<name>_<pid>_<random>`, lower
 * case, safe to interpolate as an identifier.
 * @example const schema = uniqueSchema('cached_pool');
 */
export function uniqueSchema(name: string): string {
  const safe = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `larder_test_${safe}_${process.pid}_${randomBytes(3).toString('hex')}`;
}
