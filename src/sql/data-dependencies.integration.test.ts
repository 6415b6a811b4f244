/**
 * Data-dependency tags with larder/sql on a private Postgres (wal_level=logical)
 * and the shared Redis: a getOrSet whose factory runs cached queries over
 * tables a and b is invalidated by a write to either table — through the
 * cached pool, or with a plain pg client that only the CDC listener sees —
 * and not by a write to c. A write committed and invalidated between the
 * inner query and the outer store leaves nothing stale served; the naive
 * ordering (tags added after the computation, generations read at store
 * time) serves the old rows in the same scenario.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type pg from 'pg';
import type { Cache } from '../core/types.js';
import { eventually } from '../test-support/postgres-server.js';
import { startThreeTables, type ThreeTables } from '../test-support/three-tables.js';
import type { CachedPool } from './cached-pool.js';
import { type DatabaseIdentity, tableTag } from './table-tags.js';

describe('data-dependency tags over cached SQL queries', () => {
  let fx: ThreeTables;
  let psql: pg.Client;
  let cache: Cache;
  let pool: CachedPool;
  let db: DatabaseIdentity;
  let computed = 0;

  const value = (table: string) => fx.value(table);
  /** The cached computation: two cached queries, over a and b. */
  const page = () =>
    cache.getOrSet('page', async () => {
      computed++;
      return `a=${await value('a')} b=${await value('b')}`;
    });
  const cached = async () => (await cache.get('page')) !== undefined;

  before(async () => {
    fx = await startThreeTables('sql-deps');
    ({ psql, cache, pool, db } = fx);
  });

  beforeEach(async () => {
    await cache.delete('page');
    computed = 0;
  });

  after(() => fx?.close());

  it('a write to a or b through the cached pool invalidates it; a write to c does not', async () => {
    assert.equal(await page(), 'a=1 b=1');
    assert.equal(await page(), 'a=1 b=1');
    assert.equal(computed, 1);
    await pool.query('UPDATE c SET v = v + 1 WHERE id = 1');
    assert.equal(await cached(), true, 'a write to c leaves it cached');
    await pool.query('UPDATE a SET v = 2 WHERE id = 1');
    assert.equal(await cached(), false, 'invalidated by the write to a once it returned');
    assert.equal(await page(), 'a=2 b=1');
    await pool.query('UPDATE b SET v = 2 WHERE id = 1');
    assert.equal(await cached(), false, 'invalidated by the write to b');
    assert.equal(await page(), 'a=2 b=2');
    assert.equal(computed, 3);
  });

  it('a write with a plain pg client reaches it through the WAL listener; one to c does not', async () => {
    assert.match(await page(), /^a=\d+ b=\d+$/);
    // Something that depends on c only, to know when the listener has seen the write to c.
    await cache.set('c-probe', 1, { tags: [tableTag(db, 'public', 'c')] });
    await psql.query('UPDATE c SET v = v + 1 WHERE id = 1');
    await eventually(
      async () => (await cache.get('c-probe')) === undefined,
      5_000,
      'the write to c to be seen',
    );
    assert.equal(await cached(), true, 'a write to c leaves it cached');
    await psql.query('UPDATE b SET v = 10 WHERE id = 1');
    await eventually(async () => !(await cached()), 5_000, 'the write to b to invalidate the page');
    assert.match(await page(), /b=10$/);
    await psql.query('UPDATE a SET v = 10 WHERE id = 1');
    await eventually(async () => !(await cached()), 5_000, 'the write to a to invalidate the page');
    assert.equal(await page(), 'a=10 b=10');
  });

  /**
   * A computation that reads a, then waits while the test (outside its scope)
   * commits a write to a through the cached pool — invalidated before it
   * returns — then finishes: the write lands between the inner query and the
   * outer store.
   */
  function racingBuild(build: (compute: () => Promise<string>) => Promise<string>) {
    let readDone!: () => void;
    let writeDone!: () => void;
    const read = new Promise<void>((resolve) => {
      readDone = resolve;
    });
    const written = new Promise<void>((resolve) => {
      writeDone = resolve;
    });
    const result = build(async () => {
      const inner = await value('a');
      readDone();
      await written;
      return `a=${inner}`;
    });
    return { read, writeDone, result };
  }

  it('the race: a write between the inner query and the outer store leaves nothing stale served', async () => {
    await pool.query('UPDATE a SET v = 20 WHERE id = 1');
    await value('a'); // cached at 20: the inner query below is a hit, validated at this generation
    const { read, writeDone, result } = racingBuild((compute) => cache.getOrSet('race', compute));
    await read;
    await pool.query('UPDATE a SET v = 21 WHERE id = 1');
    writeDone();
    assert.equal(await result, 'a=20', 'the caller gets what it computed');
    await cache.idle();
    assert.equal(await cache.get('race'), undefined, 'born invalid: never served');
    assert.equal(await cache.getOrSet('race', async () => `a=${await value('a')}`), 'a=21');
  });

  it('the naive ordering (generations read at store time) serves the old rows in the same race', async () => {
    await pool.query('UPDATE a SET v = 30 WHERE id = 1');
    const { read, writeDone, result } = racingBuild(async (compute) => {
      const { value: built, dependencies } = await cache.collectDependencies(compute);
      // Naive: the tags are known, but their generations are read now, after the write.
      await cache.set('naive', built, { tags: dependencies.tags });
      return built;
    });
    await read;
    await pool.query('UPDATE a SET v = 31 WHERE id = 1');
    writeDone();
    assert.equal(await result, 'a=30');
    assert.equal(await cache.get('naive'), 'a=30', 'stale, and served: the harness sees the race');
    // The same build stored with the collected generations is born invalid.
    const again = racingBuild(async (compute) => {
      const { value: built, dependencies } = await cache.collectDependencies(compute);
      await cache.set('right', built, { dependencies });
      return built;
    });
    await again.read;
    await pool.query('UPDATE a SET v = 32 WHERE id = 1');
    again.writeDone();
    assert.equal(await again.result, 'a=31');
    assert.equal(await cache.get('right'), undefined);
  });

  it('a query the cache does not answer spoils the computation: returned, not stored', async () => {
    const result = await cache.getOrSet('volatile', async () => {
      const { rows } = await pool.query<{ v: number; now: Date }>(
        'SELECT v, now() AS now FROM a WHERE id = 1',
      );
      return (rows[0] as { v: number }).v;
    });
    assert.equal(typeof result, 'number');
    await cache.idle();
    assert.equal(await cache.get('volatile'), undefined);
  });
});
