/**
 * `pool.query` through the cache on a real Postgres and Redis: a miss reads the
 * cache once, holds a connection only for the query and stores after giving it
 * back; a caller holding the pool's last connection never waits for a shared
 * run that waits for that connection; a connection showing another session
 * never fills the default session's entry; catalog facts behind a remembered
 * plan expire with `catalogTtl`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../core/store.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/redis-store.js';
import { redisUrl, uniquePrefix } from '../test-support/env.js';
import { type SqlFixture, sqlFixture } from '../test-support/sql-fixture.js';
import { cachedPool } from './cached-pool.js';

/** `store`, logging each call of the store operations a read or a fill makes. */
function recording(store: Store, log: string[]): Store {
  const logged = new Set(['get', 'getMany', 'set', 'add']);
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (logged.has(String(property))) log.push(`store.${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms`: a deadlock fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => Promise.reject(new Error(`${what} did not finish within ${ms} ms`))),
  ]);
}

describe('pool.query through the cache', () => {
  let fx: SqlFixture;

  before(async () => {
    fx = await sqlFixture('pool_query');
    const s = fx.schema;
    await fx.admin.query(`
      CREATE SCHEMA ${s}_other;
      CREATE TABLE ${s}.items (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO ${s}.items SELECT g, 'item ' || g FROM generate_series(1, 50) g;
      CREATE TABLE ${s}_other.items (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO ${s}_other.items SELECT g, 'other ' || g FROM generate_series(1, 50) g;`);
  });
  after(async () => {
    await fx.admin.query(`DROP SCHEMA IF EXISTS ${fx.schema}_other CASCADE`);
    await fx.close();
  });

  it('a miss reads the cache once, then holds a connection for the query alone, and stores after releasing it', async () => {
    const log: string[] = [];
    const prefix = uniquePrefix('sql-pool-query-order');
    const store = redisStore({ url: redisUrl() });
    const cache = createCache({ store: recording(store, log), prefix });
    const raw = fx.pool({ max: 2 });
    raw.on('acquire', () => log.push('acquire'));
    raw.on('release', () => log.push('release'));
    const pool = cachedPool(raw, cache);
    try {
      // Learn the pool's session and the catalog; then every id is a miss that needs no lookup.
      await pool.query('SELECT name FROM items WHERE id = $1', [1]);
      await cache.idle();
      log.length = 0;
      const { rows } = await pool.query('SELECT name FROM items WHERE id = $1', [2]);
      assert.deepEqual(rows, [{ name: 'item 2' }]);
      await cache.idle();
      assert.deepEqual(log, ['store.getMany', 'store.get', 'acquire', 'release', 'store.add']);
      log.length = 0;
      assert.deepEqual((await pool.query('SELECT name FROM items WHERE id = $1', [2])).rows, rows);
      assert.deepEqual(log, ['store.getMany', 'store.get'], 'a hit: one round trip, no connection');
    } finally {
      await cache.idle();
      await store.clear(prefix);
      await cache.close();
    }
  });

  it('a caller holding the pool’s last connection does not wait for a shared run that waits for it', async () => {
    const raw = fx.pool({ max: 1 });
    const pool = cachedPool(raw, fx.cache);
    const text = 'SELECT name FROM items WHERE id = $1';
    await pool.query(text, [3]); // the pool's session and the catalog, known from here on
    const client = await pool.connect();
    let released = false;
    try {
      await client.query(text, [3]); // this connection's session, read
      const shared = pool.query(text, [4]); // a miss: its run waits for the connection `client` holds
      for (let i = 0; i < 200 && raw.waitingCount === 0; i++) await sleep(5);
      assert.equal(raw.waitingCount, 1, 'the shared run waits for a connection');
      const mine = await within(client.query(text, [4]), 3_000, 'the held client’s query');
      assert.deepEqual(mine.rows, [{ name: 'item 4' }]);
      client.release();
      released = true;
      assert.deepEqual((await within(shared, 3_000, 'the pool query')).rows, [{ name: 'item 4' }]);
      const reasons = pool.stats().queries.flatMap((q) => Object.keys(q.reasons));
      assert.ok(reasons.includes('shared-run-waiting'), reasons.join());
    } finally {
      if (!released) client.release();
    }
  });

  it('a pooled connection left with another session answers as that session and never fills the default’s entry', async () => {
    const raw = fx.pool({ max: 1 });
    const pool = cachedPool(raw, fx.cache);
    await pool.query('SELECT name FROM items WHERE id = $1', [5]);
    const client = await pool.connect();
    await client.query(`SET search_path = ${fx.schema}_other`);
    client.release();
    const text = 'SELECT name FROM items WHERE id = $1';
    // node-postgres's pool.query answers on whichever connection it gets: here the changed one.
    assert.deepEqual((await pool.query(text, [6])).rows, [{ name: 'other 6' }]);
    await fx.cache.idle();
    const fresh = cachedPool(fx.pool(), fx.cache);
    assert.deepEqual((await fresh.query(text, [6])).rows, [{ name: 'item 6' }]);
    assert.deepEqual((await fresh.query(text, [6])).rows, [{ name: 'item 6' }]);
  });

  it('a remembered plan lasts no longer than the catalog facts behind it (catalogTtl)', async () => {
    const clock = { t: 1_700_000_000_000, now: () => clock.t };
    const other = `${fx.schema}_other`;
    const ahead = `${fx.schema}_ahead`;
    // The default session reads items from the file's schema; a table of that name in a schema
    // ahead of it on the search_path, created outside the wrapper, is seen once the facts expire.
    await fx.admin.query(`CREATE SCHEMA ${ahead}`);
    const pool = cachedPool(fx.pool({ searchPath: [ahead, fx.schema] }), fx.cache, {
      catalogTtl: '60s',
      clock,
    });
    const name = async () =>
      (await pool.query('SELECT name FROM items WHERE id = $1', [7])).rows[0]?.name as string;
    try {
      assert.equal(await name(), 'item 7');
      assert.equal(await name(), 'item 7');
      await fx.admin.query(`CREATE TABLE ${ahead}.items AS SELECT * FROM ${other}.items`);
      assert.equal(await name(), 'item 7', 'within catalogTtl the facts are trusted');
      clock.t += 61_000;
      assert.equal(await name(), 'other 7', 'past catalogTtl the name resolves again');
    } finally {
      await fx.admin.query(`DROP SCHEMA ${ahead} CASCADE`);
    }
  });
});
