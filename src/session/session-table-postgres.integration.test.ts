/**
 * The session table against a real Postgres (`DATABASE_URL`, see
 * scripts/test.mjs): setup from two processes' worth of pools, compare-and-set
 * under 50 racing writers, expiry by the injected clock, keyset scans, and
 * batched expiry that never makes a live session's write wait.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isLarderError } from '../core/errors.js';
import { databaseUrl, uniqueSchema } from '../test-support/env.js';
import { type SessionTable, sessionTable, sessionTableSql } from './session-table.js';

const schema = uniqueSchema('session_table');
const pool = new pg.Pool({ connectionString: databaseUrl(), max: 20 });

/** A clock the test moves by hand; epoch ms. */
function fakeClock(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

let tables = 0;
/** A fresh, set-up table in the test schema. */
async function freshTable(clock = fakeClock()): Promise<SessionTable> {
  tables += 1;
  const table = sessionTable({ pool, table: `${schema}.sessions_${tables}`, clock });
  await table.setup();
  return table;
}

/** `count` rows, keys `prefix000000…`, all expiring at `expiresAt`, in one statement. */
async function seed(table: SessionTable, prefix: string, count: number, expiresAt: number): Promise<void> {
  await pool.query(
    `INSERT INTO ${table.name} (key, record, version, expires_at, updated_at)
     SELECT $1 || lpad(i::text, 6, '0'), '{}', 1, to_timestamp($2::float8 / 1000), now()
     FROM generate_series(0, $3 - 1) AS i`,
    [prefix, expiresAt, count],
  );
}

before(() => pool.query(`CREATE SCHEMA ${schema}`));
after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

describe('sessionTable on Postgres', () => {
  it('sets up idempotently: twice in a row, and eight times at once from separate pools', async () => {
    const name = `${schema}.setup_race`;
    const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: databaseUrl(), max: 1 }));
    try {
      // Separate pools, so separate sessions race as two processes would.
      await Promise.all(pools.map((each) => sessionTable({ pool: each, table: name }).setup()));
      const table = sessionTable({ pool, table: name });
      await table.setup();
      await table.setup();
      const { rows } = await pool.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'setup_race' ORDER BY 1`,
        [schema],
      );
      assert.deepEqual(
        rows.map((row: { indexname: string }) => row.indexname),
        ['setup_race_expires_at', 'setup_race_pkey'],
      );
      assert.equal(await table.count(), 0);
    } finally {
      await Promise.all(pools.map((each) => each.end()));
    }
  });

  it('gives the migration SQL that setup runs: it creates the same table', async () => {
    await pool.query(sessionTableSql(`${schema}.migrated`));
    await pool.query(sessionTableSql(`${schema}.migrated`));
    const table = sessionTable({ pool, table: `${schema}.migrated` });
    await table.setup();
    assert.equal(await table.insert('k', '{}', Date.now() + 60_000), 1);
  });

  it('inserts with version 1, loads it back, and refuses a second insert over a live row', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    const expiresAt = clock.now() + 60_000.5;
    assert.equal(await table.insert('sess:a', '{"n":1}', expiresAt), 1);
    assert.deepEqual(await table.load('sess:a'), { record: '{"n":1}', version: 1, expiresAt });
    assert.equal(await table.insert('sess:a', '{"n":2}', expiresAt), undefined);
    assert.equal((await table.load('sess:a'))?.record, '{"n":1}');
    assert.equal(await table.load('sess:absent'), undefined);
  });

  it('updates by compare-and-set: the expected version wins once, a stale one is refused', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await table.insert('sess:a', 'v1', clock.now() + 60_000);
    assert.equal(await table.update('sess:a', 'v2', 1, clock.now() + 120_000), 2);
    assert.equal(await table.update('sess:a', 'stale', 1, clock.now() + 120_000), undefined);
    assert.deepEqual(await table.load('sess:a'), {
      record: 'v2',
      version: 2,
      expiresAt: clock.now() + 120_000,
    });
    assert.equal(await table.update('sess:absent', 'x', 1, clock.now() + 60_000), undefined);
  });

  it('lets exactly one of 50 concurrent updates with the same expected version win', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await table.insert('sess:race', 'v1', clock.now() + 60_000);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => table.update('sess:race', `writer ${i}`, 1, clock.now() + 60_000)),
    );
    const winners = results.flatMap((version, i) => (version === undefined ? [] : [i]));
    assert.equal(winners.length, 1, `winners: ${winners.join(', ')}`);
    assert.equal(results[winners[0] as number], 2);
    assert.deepEqual(await table.load('sess:race'), {
      record: `writer ${winners[0]}`,
      version: 2,
      expiresAt: clock.now() + 60_000,
    });
  });

  it('lets exactly one of 50 concurrent inserts of one key create it', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => table.insert('sess:new', `creator ${i}`, clock.now() + 60_000)),
    );
    assert.deepEqual(
      results.filter((version) => version !== undefined),
      [1],
    );
  });

  it('hides an expired row from load, update, remove and count, and lets insert replace it', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await table.insert('sess:old', 'old', clock.now() + 1_000);
    await table.update('sess:old', 'old 2', 1, clock.now() + 1_000);
    clock.advance(1_000); // expires_at <= now: expired at that very instant
    assert.equal(await table.load('sess:old'), undefined);
    assert.equal(await table.count(), 0);
    assert.equal(await table.update('sess:old', 'late', 2, clock.now() + 60_000), undefined);
    // The version continues: a writer still holding version 2 cannot write the new session.
    assert.equal(await table.insert('sess:old', 'new', clock.now() + 60_000), 3);
    assert.equal(await table.update('sess:old', 'stale writer', 2, clock.now() + 60_000), undefined);
    assert.deepEqual(await table.load('sess:old'), {
      record: 'new',
      version: 3,
      expiresAt: clock.now() + 60_000,
    });
    clock.advance(60_000);
    assert.equal(await table.remove('sess:old'), false, 'an expired row is not a removed session');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table.name}`);
    assert.equal(rows[0].n, 0, 'but it is deleted all the same');
  });

  it('removes a session and counts the live ones', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await table.insert('sess:a', 'a', clock.now() + 60_000);
    await table.insert('sess:b', 'b', clock.now() + 60_000);
    await table.insert('sess:c', 'c', clock.now() + 10);
    assert.equal(await table.count(), 3);
    assert.equal(await table.remove('sess:a'), true);
    assert.equal(await table.remove('sess:a'), false);
    assert.equal(await table.load('sess:a'), undefined);
    clock.advance(10);
    assert.equal(await table.count(), 1);
  });

  it('scans live rows in key order over more than two batches, skipping expired ones', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await seed(table, 'sess:live:', 25, clock.now() + 60_000);
    await seed(table, 'sess:dead:', 5, clock.now());
    const batches = [];
    for await (const batch of table.scan(10)) batches.push(batch);
    assert.deepEqual(
      batches.map((batch) => batch.length),
      [10, 10, 5],
    );
    const keys = batches.flat().map((row) => row.key);
    assert.deepEqual(
      keys,
      Array.from({ length: 25 }, (_, i) => `sess:live:${String(i).padStart(6, '0')}`),
    );
    assert.deepEqual(batches[0]?.[0], {
      key: 'sess:live:000000',
      record: '{}',
      expiresAt: clock.now() + 60_000,
    });
  });

  it('clears every row, live and expired, in batches', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await seed(table, 'sess:live:', 1_500, clock.now() + 60_000);
    await seed(table, 'sess:dead:', 700, clock.now() - 1);
    assert.equal(await table.clear(), 2_200);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table.name}`);
    assert.equal(rows[0].n, 0);
  });

  it('removes expired rows in batches of batchSize and leaves live rows alone', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await seed(table, 'sess:dead:', 2_500, clock.now() - 1);
    await seed(table, 'sess:live:', 100, clock.now() + 60_000);
    const deletes: number[] = [];
    const counting = sessionTable({
      pool: countingPool(pool, deletes),
      table: table.name.replaceAll('"', ''),
      clock,
    });
    assert.equal(await counting.removeExpired({ batchSize: 1_000, maxBatches: 1 }), 1_000);
    assert.equal(await counting.removeExpired({ batchSize: 1_000 }), 1_500);
    assert.deepEqual(deletes, [1_000, 1_000, 500]);
    assert.equal(await table.count(), 100);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table.name}`);
    assert.equal(rows[0].n, 100);
    assert.equal(await table.removeExpired(), 0);
  });

  it('never makes a live session wait: its update commits while a removeExpired batch holds its locks', async () => {
    const clock = fakeClock();
    const table = await freshTable(clock);
    await seed(table, 'sess:dead:', 20_000, clock.now() - 1);
    await table.insert('sess:live', 'v1', clock.now() + 60_000);
    const holder = await pool.connect();
    let removing: Promise<number> | undefined;
    try {
      // A removeExpired batch caught mid-transaction: it holds its expired rows' locks.
      await holder.query('BEGIN');
      await holder.query(
        `DELETE FROM ${table.name} WHERE key = ANY(ARRAY(SELECT key FROM ${table.name}
         WHERE expires_at <= to_timestamp($1::float8 / 1000) LIMIT 1000 FOR UPDATE SKIP LOCKED))`,
        [clock.now()],
      );
      // A live write does not wait for it; neither does a whole removeExpired run, which
      // skips the held rows and takes the rest. Writes go on, one after another, while it runs.
      let finished = false;
      removing = table.removeExpired({ batchSize: 1_000 }).finally(() => {
        finished = true;
      });
      let version = 1;
      let writesWhileRemoving = 0;
      const deadline = Date.now() + 10_000;
      do {
        const next = await withTimeout(
          table.update('sess:live', `v${version + 1}`, version, clock.now() + 60_000),
          2_000,
        );
        assert.equal(next, version + 1);
        version = next;
        if (!finished) writesWhileRemoving += 1;
      } while (!finished && Date.now() < deadline);
      assert.ok(
        finished,
        'removeExpired still running after 10 s: it waits for rows another transaction holds',
      );
      assert.equal(await removing, 19_000);
      assert.ok(writesWhileRemoving > 0, 'no write completed while removeExpired ran');
    } finally {
      // Rolled back before anything else, so a removeExpired that waits on the held rows ends too.
      await holder.query('ROLLBACK');
      holder.release();
      await removing?.catch(() => undefined);
    }
    assert.equal(await table.removeExpired(), 1_000, 'the rows the rolled-back batch held');
    assert.equal(await table.count(), 1);
  });

  it('refuses a bad table name naming the option, and names setup() when the table is missing', async () => {
    assert.throws(
      () => sessionTable({ pool, table: `${schema}.sessions; DROP SCHEMA ${schema}` }),
      (error: Error) =>
        isLarderError(error, 'E_INVALID_OPTION') && /sessionTable: table must be/.test(error.message),
    );
    const missing = sessionTable({ pool, table: `${schema}.never_set_up` });
    await assert.rejects(missing.load('k'), (error: Error) => {
      assert.ok(isLarderError(error, 'E_STORE'));
      assert.match(error.message, /load failed: .*does not exist \(run setup\(\)/);
      assert.equal((error.cause as { code?: string }).code, '42P01');
      return true;
    });
    const noSchema = sessionTable({ pool, table: `${schema}_missing.sessions` });
    await assert.rejects(noSchema.setup(), /setup failed: .*create the schema first/);
  });
});

/** `pool`, recording the row count of every removeExpired DELETE. */
function countingPool(inner: pg.Pool, deletes: number[]): pg.Pool {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return async (config: pg.QueryConfig) => {
        const result = await target.query(config);
        if (config.text.startsWith('DELETE')) deletes.push(result.rowCount ?? 0);
        return result;
      };
    },
  });
}

/** `promise`, or a rejection naming the wait if it takes longer than `ms` (a write that waited on a lock). */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
