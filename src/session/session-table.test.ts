/**
 * The session table's glue over a fake pool: what it sends, how it reads rows
 * back, how it pages and batches, and its errors. The SQL itself runs against
 * a real Postgres in session-table-postgres.integration.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../core/errors.js';
import type { PgPoolLike } from '../sql/pg-like.js';
import { type SessionTablePool, sessionTable, sessionTableSql } from './session-table.js';
import { sessionTableDdl, sessionTableName } from './session-table-sql.js';

interface Sent {
  readonly text: string;
  readonly values: readonly unknown[] | undefined;
}

type Answer = (sent: Sent) => { rows: Record<string, unknown>[]; rowCount: number | null };

/** A pool that records every statement and answers with `answer`. */
function fakePool(answer: Answer): { pool: SessionTablePool; sent: Sent[] } {
  const sent: Sent[] = [];
  const pool: SessionTablePool = {
    async query(config) {
      const call: Sent =
        typeof config === 'string'
          ? { text: config, values: undefined }
          : { text: (config as Sent).text, values: (config as Sent).values };
      sent.push(call);
      return answer(call);
    },
  };
  return { pool, sent };
}

const clock = { now: () => 1_000_000 };

// Type test: the pools the session store may hold fit the option (a pg.Pool is
// checked by the integration test, which passes one).
const _fromSqlPool = (pool: PgPoolLike): SessionTablePool => pool;
void _fromSqlPool;

describe('sessionTable over a fake pool', () => {
  it('runs setup as one message: the advisory lock, then the DDL of sessionTableSql', async () => {
    const { pool, sent } = fakePool(() => ({ rows: [], rowCount: null }));
    const table = sessionTable({ pool, table: 'app.sessions' });
    assert.equal(table.name, '"app"."sessions"');
    await table.setup();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.values, undefined, 'simple protocol, so the statements share one transaction');
    assert.match(sent[0]?.text ?? '', /^SELECT pg_advisory_xact_lock\(-?\d+\);\n/);
    assert.ok(sent[0]?.text.endsWith(sessionTableSql('app.sessions')));
    assert.equal(sessionTableSql(), sessionTableDdl(sessionTableName('larder_sessions')));
  });

  it("sends the injected clock's now and reads bigint and instant columns as numbers", async () => {
    const { pool, sent } = fakePool(() => ({
      rows: [{ record: '{"a":1}', version: '7', expires_at_ms: 2_000_000 }],
      rowCount: 1,
    }));
    const table = sessionTable({ pool, clock });
    assert.deepEqual(await table.load('k'), { record: '{"a":1}', version: 7, expiresAt: 2_000_000 });
    assert.deepEqual(sent[0]?.values, ['k', 1_000_000]);
    assert.equal(await table.update('k', '{}', 6, 3_000_000), 7);
    assert.deepEqual(sent[1]?.values, ['k', '{}', 6, 3_000_000, 1_000_000]);
  });

  it('reads no row as undefined: absent, expired, a live row in the way, or another version', async () => {
    const { pool } = fakePool(() => ({ rows: [], rowCount: 0 }));
    const table = sessionTable({ pool, clock });
    assert.equal(await table.load('k'), undefined);
    assert.equal(await table.insert('k', '{}', 2_000_000), undefined);
    assert.equal(await table.update('k', '{}', 1, 2_000_000), undefined);
    assert.equal(await table.remove('k'), false);
  });

  it('scans by keyset: each batch starts after the last key of the one before', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const { pool, sent } = fakePool(({ values }) => {
      const [, limit, after] = values as [number, number, string | undefined];
      const rows = keys
        .filter((key) => after === undefined || key > after)
        .slice(0, limit)
        .map((key) => ({ key, record: key, expires_at_ms: 2_000_000 }));
      return { rows, rowCount: rows.length };
    });
    const batches: string[][] = [];
    for await (const batch of sessionTable({ pool, clock }).scan(2))
      batches.push(batch.map((row) => row.key));
    assert.deepEqual(batches, [['a', 'b'], ['c', 'd'], ['e']]);
    assert.deepEqual(
      sent.map((call) => call.values?.[2]),
      [undefined, 'b', 'd'],
    );
  });

  it('deletes in batches until a short one, or until maxBatches', async () => {
    let left = 2_500;
    const { pool, sent } = fakePool(({ values }) => {
      const limit = Number(values?.[1]);
      const deleted = Math.min(left, limit);
      left -= deleted;
      return { rows: [], rowCount: deleted };
    });
    const table = sessionTable({ pool, clock });
    assert.equal(await table.removeExpired({ maxBatches: 1 }), 1000);
    assert.equal(await table.removeExpired({ batchSize: 1000 }), 1500);
    assert.equal(sent.length, 3);
  });

  it('turns a failed statement into E_STORE naming the table and the fix, with the cause', async () => {
    const missing = Object.assign(new Error('relation "larder_sessions" does not exist'), { code: '42P01' });
    const { pool } = fakePool(() => {
      throw missing;
    });
    await assert.rejects(sessionTable({ pool }).load('sess:secret-key'), (error: Error) => {
      assert.ok(isLarderError(error, 'E_STORE'));
      assert.equal(error.cause, missing);
      assert.match(
        error.message,
        /^sessionTable "larder_sessions": load failed: relation .* \(run setup\(\)/,
      );
      assert.ok(!error.message.includes('secret-key'));
      return true;
    });
  });

  it('refuses bad options and arguments early, naming them', async () => {
    const { pool } = fakePool(() => ({ rows: [], rowCount: 0 }));
    assert.throws(() => sessionTable({ pool, table: 'Bad Name' }), /sessionTable: table must be/);
    assert.throws(
      () => sessionTable({ pool: undefined as unknown as SessionTablePool }),
      /sessionTable: pool must be a pg.Pool/,
    );
    const table = sessionTable({ pool, clock });
    await assert.rejects(table.insert('k', '{}', Number.NaN), /expiresAt must be a finite instant/);
    await assert.rejects(table.update('k', '{}', 0, 1), /expectedVersion must be an integer >= 1, got 0/);
    await assert.rejects(table.removeExpired({ batchSize: 0 }), /batchSize must be an integer >= 1/);
    assert.throws(() => table.scan(1.5), /batchSize must be an integer >= 1, got 1.5/);
  });
});
