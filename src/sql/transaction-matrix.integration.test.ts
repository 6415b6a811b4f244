/**
 * The transaction matrix of the query cache (after django-cachalot's and
 * django-cacheops' suites), on a real Postgres and a real Redis: when writes
 * are invalidated (after COMMIT, never before), what a rollback, a savepoint
 * rollback or a failed COMMIT leave alone, what a transaction reads, and what
 * another connection can see through the cache meanwhile. Then the naive
 * wrapper that invalidates at statement time, failing the interleaving the
 * correct one passes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { Cache } from '../core/types.js';
import { type SqlFixture, sqlFixture } from '../test-support/sql-fixture.js';
import { CachedPool, cachedPool } from './cached-pool.js';
import { SqlEngine } from './sql-engine.js';
import { resolveSqlOptions } from './sql-options.js';
import type { SqlStats } from './sql-stats.js';

/** Counts since the previous call. */
function counter(wrapper: { stats(): SqlStats }) {
  let last = wrapper.stats();
  return () => {
    const now = wrapper.stats();
    const tables: Record<string, number> = {};
    for (const [table, n] of Object.entries(now.tables)) {
      const d = n - (last.tables[table] ?? 0);
      if (d > 0) tables[table] = d;
    }
    const delta = {
      hits: now.hits - last.hits,
      misses: now.misses - last.misses,
      invalidations: now.invalidations - last.invalidations,
      tables,
    };
    last = now;
    return delta;
  };
}

describe('transaction matrix', () => {
  let fx: SqlFixture;
  let raw: pg.Pool;
  let pool: CachedPool;
  let items: string;
  let others: string;

  before(async () => {
    fx = await sqlFixture('tx_matrix');
    const s = fx.schema;
    items = `${s}.items`;
    others = `${s}.others`;
    await fx.admin.query(`
      CREATE TABLE ${s}.items (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE ${s}.others (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE ${s}.parents (id int PRIMARY KEY);
      CREATE TABLE ${s}.children (id int PRIMARY KEY, parent_id int REFERENCES ${s}.parents DEFERRABLE INITIALLY DEFERRED);
      CREATE TABLE ${s}.slow (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO ${s}.slow VALUES (1, 'v0');
      CREATE FUNCTION ${s}.dawdle() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END';
      CREATE CONSTRAINT TRIGGER dawdle AFTER UPDATE ON ${s}.slow DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ${s}.dawdle();
      INSERT INTO ${s}.items SELECT g, 'v0' FROM generate_series(1, 20) g;
      INSERT INTO ${s}.others SELECT g, 'o0' FROM generate_series(1, 20) g;`);
    raw = fx.pool();
    pool = cachedPool(raw, fx.cache);
  });
  after(() => fx.close());

  const nameOf = async (q: { query: CachedPool['query'] }, id: number, table = 'items'): Promise<string> => {
    const { rows } = await q.query<{ name: string }>(`SELECT name FROM ${table} WHERE id = $1`, [id]);
    return rows[0]?.name ?? '<none>';
  };
  const truth = async (id: number, table = 'items'): Promise<string> => {
    const { rows } = await fx.admin.query(`SELECT name FROM ${fx.schema}.${table} WHERE id = $1`, [id]);
    return rows[0]?.name;
  };

  it('COMMIT invalidates the transaction’s writes after it commits, not before', async () => {
    const count = counter(pool);
    assert.equal(await nameOf(pool, 1), 'v0');
    assert.equal(await nameOf(pool, 1), 'v0');
    const first = count();
    assert.deepEqual([first.misses, first.hits], [1, 1]);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query('UPDATE items SET name = $1 WHERE id = $2', ['v1', 1]);
      count();
      // Uncommitted: other connections still read v0, and the cached v0 is still right.
      assert.equal(await nameOf(pool, 1), 'v0');
      assert.equal(count().hits, 1);
      await a.query('COMMIT');
      assert.deepEqual(count().tables, { [items]: 1 });
      assert.equal(await nameOf(pool, 1), 'v1');
      assert.equal(count().misses, 1);
    } finally {
      a.release();
    }
  });

  it('ROLLBACK drops the queued invalidations: the cached value stays and is right', async () => {
    assert.equal(await nameOf(pool, 2), 'v0');
    const count = counter(pool);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE items SET name = 'gone' WHERE id = 2`);
      await a.query('ROLLBACK');
    } finally {
      a.release();
    }
    assert.equal(count().invalidations, 0);
    assert.equal(await nameOf(pool, 2), 'v0');
    assert.equal(count().hits, 1);
    assert.equal(await truth(2), 'v0');
  });

  it('ROLLBACK TO SAVEPOINT drops only the writes made since the savepoint', async () => {
    assert.equal(await nameOf(pool, 3), 'v0');
    assert.equal(await nameOf(pool, 3, 'others'), 'o0');
    const count = counter(pool);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE items SET name = 'v1' WHERE id = 3`);
      await a.query('SAVEPOINT a');
      await a.query(`UPDATE others SET name = 'o1' WHERE id = 3`);
      await a.query('SAVEPOINT b');
      await a.query(`UPDATE others SET name = 'o2' WHERE id = 4`);
      await a.query('RELEASE SAVEPOINT b');
      await a.query('ROLLBACK TO SAVEPOINT a');
      // After the partial rollback the transaction has not written `others`: its reads may use the cache.
      assert.equal(await nameOf(a, 3, 'others'), 'o0');
      assert.equal(count().hits, 1);
      await a.query('COMMIT');
    } finally {
      a.release();
    }
    assert.deepEqual(count().tables, { [items]: 1 });
    assert.equal(await nameOf(pool, 3, 'others'), 'o0');
    assert.equal(await nameOf(pool, 3), 'v1');
    const d = count();
    assert.deepEqual([d.hits, d.misses], [1, 1]);
  });

  it('nested savepoints: RELEASE keeps the inner writes for COMMIT, a rollback to the outer one drops them', async () => {
    const count = counter(pool);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query('SAVEPOINT outer_sp');
      await a.query(`UPDATE items SET name = 'x' WHERE id = 4`);
      await a.query('SAVEPOINT inner_sp');
      await a.query(`UPDATE others SET name = 'x' WHERE id = 4`);
      await a.query('RELEASE SAVEPOINT inner_sp');
      await a.query('RELEASE SAVEPOINT outer_sp');
      await a.query('SAVEPOINT again');
      await a.query(`UPDATE others SET name = 'y' WHERE id = 5`);
      await a.query('ROLLBACK TO SAVEPOINT again');
      await a.query('COMMIT');
    } finally {
      a.release();
    }
    assert.deepEqual(count().tables, { [items]: 1, [others]: 1 });
    assert.equal(await truth(4, 'others'), 'x');
    assert.equal(await nameOf(pool, 4, 'others'), 'x');
  });

  it('a COMMIT that fails (deferred constraint) invalidates nothing, and the cached value is still right', async () => {
    assert.equal(await nameOf(pool, 5), 'v0');
    const count = counter(pool);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE items SET name = 'broken' WHERE id = 5`);
      await a.query('INSERT INTO children VALUES (1, 999)');
      await assert.rejects(a.query('COMMIT'), { code: '23503' });
    } finally {
      a.release();
    }
    assert.equal(count().invalidations, 0);
    assert.equal(await nameOf(pool, 5), 'v0');
    assert.equal(count().hits, 1);
    assert.equal(await truth(5), 'v0');
  });

  it('COMMIT of a transaction an error aborted is a rollback (Postgres answers ROLLBACK)', async () => {
    assert.equal(await nameOf(pool, 6), 'v0');
    const count = counter(pool);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE items SET name = 'lost' WHERE id = 6`);
      await assert.rejects(a.query('SELECT 1/0'), { code: '22012' });
      // In an aborted transaction, reads are refused by Postgres; the wrapper does not serve them either.
      await assert.rejects(a.query('SELECT name FROM others WHERE id = 1'), { code: '25P02' });
      const result = await a.query('COMMIT');
      assert.equal(result.command, 'ROLLBACK');
    } finally {
      a.release();
    }
    assert.equal(count().invalidations, 0);
    assert.equal(await nameOf(pool, 6), 'v0');
  });

  it('a COMMIT whose outcome is unknown (client timeout) invalidates now and again once it must have landed', async () => {
    const impatient = cachedPool(fx.pool({ query_timeout: 100 }), fx.cache);
    assert.equal(await nameOf(pool, 1, 'slow'), 'v0');
    const a = await impatient.connect();
    let failure: Error | undefined;
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE slow SET name = 'late' WHERE id = 1`);
      // The deferred trigger makes COMMIT take 400 ms; the client gives up after 100 ms.
      await assert.rejects(a.query('COMMIT'), (error: Error) => {
        failure = error;
        return /timeout/i.test(error.message);
      });
    } finally {
      a.release(failure);
    }
    // The commit is still running: a reader now misses, reads the old row and stores it...
    assert.equal(await nameOf(pool, 1, 'slow'), 'v0');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(await truth(1, 'slow'), 'late');
    // ...and the second invalidation, after the commit landed, makes that entry a miss.
    assert.equal(await nameOf(pool, 1, 'slow'), 'late');
  });

  it('read-after-write in a transaction sees its own write, not the cache; other tables still hit', async () => {
    assert.equal(await nameOf(pool, 7), 'v0');
    assert.equal(await nameOf(pool, 7, 'others'), 'o0');
    const count = counter(pool);
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE items SET name = 'mine' WHERE id = 7`);
      assert.equal(await nameOf(a, 7), 'mine');
      assert.equal(await nameOf(a, 7), 'mine');
      assert.equal(await nameOf(a, 7, 'others'), 'o0');
      const d = count();
      assert.deepEqual([d.hits, d.misses], [1, 0]);
      const reasons = pool.stats().queries.flatMap((q) => Object.keys(q.reasons));
      assert.ok(reasons.includes('in-transaction-write'));
      await a.query('COMMIT');
    } finally {
      a.release();
    }
    assert.equal(await nameOf(pool, 7), 'mine');
  });

  it('a second connection never sees an uncommitted value through the cache', async () => {
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE items SET name = 'dirty' WHERE id = 8`);
      // A reads its own write (not stored); B reads and caches the committed value meanwhile.
      assert.equal(await nameOf(a, 8), 'dirty');
      assert.equal(await nameOf(b, 8), 'v0');
      assert.equal(await nameOf(pool, 8), 'v0');
      assert.equal(await nameOf(b, 8), 'v0');
      await a.query('COMMIT');
      assert.equal(await nameOf(b, 8), 'dirty');
      assert.equal(await nameOf(pool, 8), 'dirty');
    } finally {
      a.release();
      b.release();
    }
  });

  it('a write outside a transaction invalidates when it returns', async () => {
    assert.equal(await nameOf(pool, 9), 'v0');
    const count = counter(pool);
    await pool.query(`UPDATE items SET name = 'auto' WHERE id = 9`);
    assert.deepEqual(count().tables, { [items]: 1 });
    assert.equal(await nameOf(pool, 9), 'auto');
  });

  it('REPEATABLE READ and SERIALIZABLE transactions bypass the cache (their snapshot may be older)', async () => {
    const a = await pool.connect();
    const count = counter(pool);
    try {
      await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await nameOf(a, 10);
      await nameOf(a, 10);
      await a.query('COMMIT');
      await a.query('START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY');
      await nameOf(a, 10);
      await a.query('ROLLBACK');
      await a.query('BEGIN');
      await a.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await nameOf(a, 10);
      await a.query('COMMIT');
    } finally {
      a.release();
    }
    const d = count();
    assert.deepEqual([d.hits, d.misses], [0, 0]);
  });

  it('the naive wrapper (invalidate at statement time) keeps a stale entry after COMMIT; the correct one does not', async () => {
    const run = async (wrapper: CachedPool, id: number, cache: Cache) => {
      assert.equal(await nameOf(wrapper, id), 'v0');
      const a = await wrapper.connect();
      try {
        await a.query('BEGIN');
        await a.query(`UPDATE items SET name = 'new' WHERE id = $1`, [id]);
        // Another request reads meanwhile: it misses (the naive wrapper already invalidated),
        // reads the committed v0 and stores it with the current generations. The store runs
        // in the background: wait for it, or a loaded machine finds nothing stored yet.
        assert.equal(await nameOf(wrapper, id), 'v0');
        await cache.idle();
        await a.query('COMMIT');
      } finally {
        a.release();
      }
      return nameOf(wrapper, id);
    };
    const naiveCache = fx.otherCache();
    const naive = new CachedPool(
      fx.pool(),
      new SqlEngine(naiveCache, resolveSqlOptions({}, { invalidation: 'before-write' })),
    );
    assert.equal(await run(naive, 11, naiveCache), 'v0', 'the naive wrapper serves the stale value');
    assert.equal(await truth(11), 'new');
    assert.equal(await run(pool, 12, fx.cache), 'new', 'the correct wrapper serves the committed value');
  });
});
