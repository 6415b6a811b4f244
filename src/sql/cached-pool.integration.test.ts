/**
 * `cachedPool` with raw node-postgres on a real Postgres and Redis: values come
 * back exactly as pg parses them, what is cached and what bypasses, which
 * writes invalidate what (DDL, TRUNCATE, writable CTEs, views, partitions,
 * cascading foreign keys), keys per search_path and per parameter type,
 * callbacks, Submittables, events and the diagnostics channels.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type SqlFixture, sqlFixture } from '../test-support/sql-fixture.js';
import { CachedClient, cachedClient } from './cached-client.js';
import { type CachedPool, cachedPool } from './cached-pool.js';
import { SQL_CHANNELS } from './sql-channels.js';
import type { SqlStats } from './sql-stats.js';

function counter(wrapper: { stats(): SqlStats }) {
  let last = wrapper.stats();
  return () => {
    const now = wrapper.stats();
    const delta = {
      hits: now.hits - last.hits,
      misses: now.misses - last.misses,
      bypasses: now.bypasses - last.bypasses,
    };
    last = now;
    return delta;
  };
}

/** Row `i` of a result, which the test knows is there. */
function rowOf(result: pg.QueryResult, i = 0): Record<string, unknown> {
  const row = result.rows[i] as Record<string, unknown> | undefined;
  assert.ok(row !== undefined, `row ${i} is missing`);
  return row;
}

/** The bypass reasons counted for a fingerprint containing `text`. */
function reasons(wrapper: { stats(): SqlStats }, text: string): string[] {
  return wrapper
    .stats()
    .queries.filter((q) => q.fingerprint.includes(text))
    .flatMap((q) => Object.keys(q.reasons));
}

describe('cachedPool with raw pg', () => {
  let fx: SqlFixture;
  let pool: CachedPool;
  let s: string;

  before(async () => {
    fx = await sqlFixture('cached_pool');
    s = fx.schema;
    await fx.admin.query(`
      CREATE TABLE ${s}.products (
        id int PRIMARY KEY, category text NOT NULL, price numeric(10,2) NOT NULL, big int8, tags text[],
        meta jsonb, added timestamptz, pic bytea, span interval, ratio float8, flag boolean);
      INSERT INTO ${s}.products VALUES
        (1, 'tools', 9.50, 9007199254740993, '{a,b}', '{"k": [1, 2]}', '2024-01-02 03:04:05.678+00', '\\x00ff', '1 day 2 hours', 0.1, true),
        (2, 'tools', 19.00, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (3, 'toys', 5.00, 1, '{}', '[]', 'infinity', '\\x', '0', 'NaN', false);
      CREATE TABLE ${s}.reviews (id int PRIMARY KEY, product_id int REFERENCES ${s}.products ON DELETE CASCADE, stars int);
      INSERT INTO ${s}.reviews VALUES (1, 1, 5), (2, 3, 2);
      CREATE VIEW ${s}.cheap AS SELECT id, price FROM ${s}.products WHERE price < 10;
      CREATE TABLE ${s}.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ${s}.events_2024 PARTITION OF ${s}.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      INSERT INTO ${s}.events VALUES (1, '2024-05-01');
      CREATE FUNCTION ${s}.double_it(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2';
      CREATE FUNCTION ${s}.count_products() RETURNS bigint STABLE LANGUAGE sql AS 'SELECT count(*) FROM ${s}.products';`);
    pool = cachedPool(fx.pool(), fx.cache);
  });
  after(() => fx.close());

  it('a hit returns what pg returns: same values, same JS types, rows or arrays, custom parsers', async () => {
    const direct = fx.pool();
    const text = 'SELECT * FROM products ORDER BY id';
    const expected = await direct.query(text);
    const count = counter(pool);
    const miss = await pool.query(text);
    const hit = await pool.query(text);
    assert.deepEqual(count(), { hits: 1, misses: 1, bypasses: 0 });
    for (const result of [miss, hit]) {
      assert.deepEqual(result.rows, expected.rows);
      assert.equal(result.command, 'SELECT');
      assert.equal(result.rowCount, 3);
      assert.deepEqual(
        result.fields.map((f) => [f.name, f.dataTypeID]),
        expected.fields.map((f) => [f.name, f.dataTypeID]),
      );
    }
    const row = rowOf(hit);
    assert.ok(row.added instanceof Date && Buffer.isBuffer(row.pic));
    assert.equal(row.big, '9007199254740993');
    assert.equal(
      typeof (row.span as { toPostgres?: unknown }).toPostgres,
      'function',
      'parsed by postgres-interval',
    );
    assert.equal(rowOf(hit, 2).added, Infinity);

    const arrays = await pool.query({ text, rowMode: 'array' });
    assert.deepEqual(arrays.rows, (await direct.query({ text, rowMode: 'array' })).rows);
    assert.equal(count().hits, 1, 'rowMode is decided at decode time: the same entry serves both');

    const asText: pg.CustomTypesConfig = {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 1184 ? (v: string) => `ts:${v}` : pg.types.getTypeParser(oid, format as 'text')) as never,
    };
    const custom = await pool.query({ text, types: asText });
    assert.equal(rowOf(custom).added, 'ts:2024-01-02 03:04:05.678+00');
    assert.equal(count().hits, 1);
  });

  it('writes invalidate: UPDATE, INSERT, DELETE with a cascading foreign key, writable CTE, TRUNCATE, multi-statement', async () => {
    const price = async () =>
      (await pool.query('SELECT price FROM products WHERE id = $1', [2])).rows[0]?.price;
    const reviews = async () => rowOf(await pool.query('SELECT count(*)::int AS n FROM reviews')).n;
    assert.equal(await price(), '19.00');
    assert.equal(await reviews(), 2);
    await pool.query('UPDATE products SET price = 20 WHERE id = 2');
    assert.equal(await price(), '20.00');
    await pool.query(
      'WITH changed AS (UPDATE products SET price = price + 1 WHERE id = 2 RETURNING id) SELECT * FROM changed',
    );
    assert.equal(await price(), '21.00');
    await pool.query(`INSERT INTO products (id, category, price) VALUES (9, 'misc', 1)`);
    await pool.query('INSERT INTO reviews VALUES (9, 9, 1)');
    assert.equal(await reviews(), 3);
    // ON DELETE CASCADE deletes reviews the statement never names: their cached reads are invalidated too.
    await pool.query('DELETE FROM products WHERE id = 9');
    assert.equal(await reviews(), 2);
    await pool.query(
      'UPDATE products SET price = 22 WHERE id = 2; UPDATE reviews SET stars = 1 WHERE id = 2',
    );
    assert.equal(await price(), '22.00');
    await fx.admin.query(`CREATE TABLE ${s}.scratch AS SELECT 1 AS n`);
    assert.equal(rowOf(await pool.query('SELECT count(*)::int AS n FROM scratch')).n, 1);
    await pool.query('TRUNCATE scratch');
    assert.equal(rowOf(await pool.query('SELECT count(*)::int AS n FROM scratch')).n, 0);
  });

  it('DDL invalidates the table: a new column shows at once', async () => {
    await fx.admin.query(`CREATE TABLE ${s}.ddl (id int)`);
    const columns = async () => (await pool.query('SELECT * FROM ddl')).fields.map((f) => f.name);
    assert.deepEqual(await columns(), ['id']);
    assert.deepEqual(await columns(), ['id']);
    await pool.query('ALTER TABLE ddl ADD COLUMN extra text');
    assert.deepEqual(await columns(), ['id', 'extra']);
  });

  it('a view is cached against its base tables; a partitioned table against its partitions', async () => {
    const cheap = async () => (await pool.query('SELECT id FROM cheap ORDER BY id')).rows.map((r) => r.id);
    const before = await cheap();
    await pool.query('UPDATE products SET price = 1 WHERE id = 2');
    assert.deepEqual(await cheap(), [...before, 2].sort());
    const events = async () => rowOf(await pool.query('SELECT count(*)::int AS n FROM events')).n;
    assert.equal(await events(), 1);
    await pool.query(`INSERT INTO events_2024 VALUES (2, '2024-06-01')`);
    assert.equal(await events(), 2);
  });

  it('the same SQL under two search_paths is two entries', async () => {
    const other = `${s}_b`;
    await fx.admin.query(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.products AS SELECT 100 AS id`);
    try {
      const b = cachedPool(fx.pool({ searchPath: [other] }), fx.cache);
      const ids = async (p: CachedPool) =>
        rowOf(await p.query('SELECT id FROM products ORDER BY id LIMIT 1')).id;
      assert.equal(await ids(pool), 1);
      assert.equal(await ids(b), 100);
      assert.equal(await ids(pool), 1);
      assert.equal(await ids(b), 100);
      // SET search_path on a checked-out client is followed at once.
      const client = await pool.connect();
      try {
        await client.query(`SET search_path TO ${other}`);
        assert.equal(await ids(client as unknown as CachedPool), 100);
        await client.query('RESET search_path');
        assert.equal(await ids(client as unknown as CachedPool), 1);
      } finally {
        client.release();
      }
    } finally {
      await fx.admin.query(`DROP SCHEMA ${other} CASCADE`);
    }
  });

  it('pool.query hits need no connection; SET in a pool connect handler is configuration', async () => {
    const other = `${s}_c`;
    await fx.admin.query(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.products AS SELECT 7 AS id`);
    try {
      const raw = fx.pool({ searchPath: [s] });
      const configured = cachedPool(raw, fx.cache);
      configured.on('connect', (client) => {
        void client.query(`SET search_path TO ${other}`);
      });
      let checkouts = 0;
      raw.on('acquire', () => checkouts++);
      const id = async () => rowOf(await configured.query('SELECT id FROM products')).id;
      assert.equal(await id(), 7);
      assert.equal(await id(), 7);
      const before = checkouts;
      const count = counter(configured);
      for (let i = 0; i < 5; i++) assert.equal(await id(), 7);
      assert.deepEqual(count(), { hits: 5, misses: 0, bypasses: 0 });
      assert.equal(checkouts, before, 'answered without checking out a connection');
    } finally {
      await fx.admin.query(`DROP SCHEMA ${other} CASCADE`);
    }
  });

  it('parameters are keyed with their type: 1 and "1" are two entries', async () => {
    const count = counter(pool);
    await pool.query('SELECT id FROM products WHERE id = $1', [1]);
    await pool.query('SELECT id FROM products WHERE id = $1', ['1']);
    await pool.query('SELECT id FROM products WHERE id = $1', [1]);
    assert.deepEqual(count(), { hits: 1, misses: 2, bypasses: 0 });
  });

  it('never caches now(), random(), FOR UPDATE, temp tables, time words in parameters or system catalogs', async () => {
    const count = counter(pool);
    await pool.query('SELECT id, now() FROM products WHERE id = 1');
    await pool.query('SELECT id FROM products ORDER BY random() LIMIT 1');
    await pool.query('SELECT id FROM products WHERE added < $1', ['now']);
    await pool.query('SELECT relname FROM pg_class LIMIT 1');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT id FROM products WHERE id = 1 FOR UPDATE');
      await client.query('COMMIT');
      await client.query('CREATE TEMP TABLE tmp AS SELECT 1 AS n');
      await client.query('SELECT n FROM tmp');
      await client.query('SELECT n FROM tmp');
      await client.query('DROP TABLE tmp');
    } finally {
      client.release();
    }
    assert.equal(count().hits + count().misses, 0);
    assert.ok(reasons(pool, 'random').includes('volatile-function'));
    assert.ok(reasons(pool, 'FOR UPDATE').includes('locking-clause'));
    assert.ok(reasons(pool, 'FROM tmp').includes('temp-table'));
    assert.ok(reasons(pool, 'pg_class').includes('system-catalog'));
  });

  it('user functions: IMMUTABLE ones are cached, others bypass unless allow-listed', async () => {
    const count = counter(pool);
    await pool.query('SELECT double_it(id) AS d FROM products WHERE id = 1');
    await pool.query('SELECT double_it(id) AS d FROM products WHERE id = 1');
    await pool.query('SELECT id, count_products() FROM products WHERE id = 1');
    assert.deepEqual(count(), { hits: 1, misses: 1, bypasses: 1 });
    assert.ok(reasons(pool, 'count_products').includes('unknown-function'));
    const trusting = cachedPool(fx.pool(), fx.cache, { allowFunctions: ['count_products'] });
    await trusting.query('SELECT id, count_products() FROM products WHERE id = 1');
    await trusting.query('SELECT id, count_products() FROM products WHERE id = 1');
    assert.equal(trusting.stats().hits, 1);
  });

  it('hints and per-query options: skip, force, ttl; excluded tables', async () => {
    const count = counter(pool);
    await pool.query('/* larder:skip */ SELECT id FROM products WHERE id = 1');
    await pool.query({
      text: 'SELECT id FROM products WHERE id = 2',
      larder: { skip: true },
    } as pg.QueryConfig);
    assert.deepEqual(count(), { hits: 0, misses: 0, bypasses: 2 });
    await pool.query({ text: 'SELECT 41 + 1 AS answer', larder: { force: true } } as pg.QueryConfig);
    await pool.query({ text: 'SELECT 41 + 1 AS answer', larder: { force: true } } as pg.QueryConfig);
    assert.deepEqual(count(), { hits: 1, misses: 1, bypasses: 0 });
    const shortLived = {
      text: 'SELECT id FROM products WHERE id = 3',
      larder: { ttl: 100 },
    } as pg.QueryConfig;
    await pool.query(shortLived);
    await pool.query(shortLived);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await pool.query(shortLived);
    assert.deepEqual(count(), { hits: 1, misses: 2, bypasses: 0 });
    const excluding = cachedPool(fx.pool(), fx.cache, { tables: { [`${s}.reviews`]: { exclude: true } } });
    await excluding.query('SELECT * FROM reviews');
    await excluding.query('SELECT * FROM reviews');
    assert.equal(excluding.stats().bypasses, 2);
    assert.ok(reasons(excluding, 'reviews').includes('excluded-table'));
  });

  it('supports the callback style of query and connect', async () => {
    const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) =>
      pool.query('SELECT id FROM products WHERE id = $1', [3], (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
    assert.deepEqual(viaCallback.rows, [{ id: 3 }]);
    const failed = await new Promise<Error>((resolve) =>
      pool.query('SELECT nope FROM products', (error) => resolve(error)),
    );
    assert.equal((failed as Error & { code: string }).code, '42703');
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      pool.connect((error, client, done) => {
        if (error || client === undefined) return reject(error);
        client.query(
          { text: 'SELECT id FROM products WHERE id = 3' },
          (err: Error, result: pg.QueryResult) => {
            done();
            if (err) reject(err);
            else resolve(result.rows);
          },
        );
      });
    });
    assert.deepEqual(rows, [{ id: 3 }]);
  });

  it('passes a Submittable through untouched and keeps query order', async () => {
    const client = await pool.connect();
    try {
      const submitted = new pg.Query('SELECT id FROM products ORDER BY id');
      const seen: unknown[] = [];
      submitted.on('row', (row) => seen.push(row.id));
      const ended = new Promise((resolve) => submitted.on('end', resolve));
      assert.equal(client.query(submitted), submitted);
      await ended;
      assert.deepEqual(seen, [1, 2, 3]);
    } finally {
      client.release();
    }
  });

  it('gives one wrapper per connection, forwards pool events, reports on the diagnostics channels', async () => {
    const seen: unknown[] = [];
    const onQuery = (message: unknown) => seen.push(message);
    diagnostics.subscribe(SQL_CHANNELS.query, onQuery);
    const invalidations: unknown[] = [];
    const onInvalidate = (message: unknown) => invalidations.push(message);
    diagnostics.subscribe(SQL_CHANNELS.invalidate, onInvalidate);
    const acquired: unknown[] = [];
    pool.on('acquire', (client) => acquired.push(client));
    try {
      const a = await pool.connect();
      a.release();
      const b = await pool.connect();
      b.release();
      assert.ok(a instanceof CachedClient);
      assert.ok(acquired.every((client) => client instanceof CachedClient));
      await pool.query('SELECT id FROM products WHERE id = 1');
      await pool.query('UPDATE reviews SET stars = 3 WHERE id = 1');
    } finally {
      diagnostics.unsubscribe(SQL_CHANNELS.query, onQuery);
      diagnostics.unsubscribe(SQL_CHANNELS.invalidate, onInvalidate);
    }
    assert.ok(
      seen.some(
        (m) => (m as { fingerprint: string }).fingerprint === 'SELECT id FROM products WHERE id = $1',
      ),
    );
    assert.deepEqual(invalidations, [{ tables: 1, source: 'statement' }]);
    assert.equal(typeof pool.totalCount, 'number');
    // The wrapper is a pg.Pool to the type checker too, so ORMs take it without a cast.
    const typed: pg.Pool = pool;
    assert.equal(typed.idleCount, pool.idleCount);
  });

  it('cachedClient wraps a single pg.Client the same way', async () => {
    const client = cachedClient(fx.client(), fx.cache);
    await client.connect();
    const count = counter(client);
    await client.query('SELECT id, category FROM products WHERE id = 1');
    await client.query('SELECT id, category FROM products WHERE id = 1');
    await client.query('BEGIN');
    await client.query('UPDATE products SET category = $1 WHERE id = 1', ['hammers']);
    await client.query('COMMIT');
    assert.deepEqual((await client.query('SELECT id, category FROM products WHERE id = 1')).rows, [
      { id: 1, category: 'hammers' },
    ]);
    assert.deepEqual(count(), { hits: 1, misses: 2, bypasses: 3 });
    await client.end();
  });
});
