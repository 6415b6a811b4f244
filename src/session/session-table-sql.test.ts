import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../core/errors.js';
import {
  sessionTableDdl,
  sessionTableName,
  sessionTableStatements,
  setupLockKey,
} from './session-table-sql.js';

describe('sessionTableName: the table option checked and quoted', () => {
  it('defaults to larder_sessions and quotes each part of a schema-qualified name', () => {
    assert.deepEqual(sessionTableName(), {
      schema: undefined,
      table: 'larder_sessions',
      quoted: '"larder_sessions"',
    });
    assert.deepEqual(sessionTableName('app_1.sessions'), {
      schema: 'app_1',
      table: 'sessions',
      quoted: '"app_1"."sessions"',
    });
    assert.equal(sessionTableName('x'.repeat(63)).table.length, 63);
  });

  it('refuses anything else with E_INVALID_OPTION naming the option', () => {
    const bad: unknown[] = [
      '',
      'Sessions',
      'a.b.c',
      '.sessions',
      'app.',
      '1sessions',
      'sessions"; DROP TABLE users; --',
      'my sessions',
      'x'.repeat(64),
      'sessiöns',
      42,
      null,
    ];
    for (const table of bad)
      assert.throws(
        () => sessionTableName(table),
        (error: Error) => {
          assert.ok(isLarderError(error, 'E_INVALID_OPTION'), String(table));
          assert.match(error.message, /^sessionTable: table must be a table name or schema\.table/);
          return true;
        },
      );
  });
});

describe('sessionTableDdl', () => {
  it('creates the table and the expires_at index if missing, under the quoted name', () => {
    const ddl = sessionTableDdl(sessionTableName('app.sessions'));
    assert.match(ddl, /^CREATE TABLE IF NOT EXISTS "app"\."sessions" \(/);
    assert.match(ddl, /key text COLLATE "C" PRIMARY KEY,/);
    assert.match(ddl, /record text NOT NULL,/);
    assert.match(ddl, /version bigint NOT NULL,/);
    assert.match(ddl, /expires_at timestamptz NOT NULL,/);
    assert.match(
      ddl,
      /CREATE INDEX IF NOT EXISTS "sessions_expires_at" ON "app"\."sessions" \(expires_at\);/,
    );
  });
});

describe('setupLockKey', () => {
  it('is a stable signed 64-bit key per table', () => {
    const key = setupLockKey(sessionTableName());
    assert.equal(setupLockKey(sessionTableName('larder_sessions')), key);
    assert.notEqual(setupLockKey(sessionTableName('app.larder_sessions')), key);
    assert.ok(key >= -(2n ** 63n) && key < 2n ** 63n);
  });
});

describe('sessionTableStatements', () => {
  const statements = sessionTableStatements(sessionTableName('app.sessions'));

  it('interpolates only the quoted table name; everything else is a parameter', () => {
    for (const [operation, text] of Object.entries(statements)) {
      const withoutName = text.replaceAll('"app"."sessions"', '');
      assert.ok(!withoutName.includes('"') && !withoutName.includes("'"), `${operation}: ${text}`);
      assert.ok(!/\bnow\(\)/i.test(text), `${operation} uses the server clock`);
    }
  });

  it('numbers the parameters as the table passes them', () => {
    const highest = (text: string) => Math.max(...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    assert.deepEqual(
      Object.fromEntries(Object.entries(statements).map(([operation, text]) => [operation, highest(text)])),
      {
        load: 2,
        insert: 4,
        update: 5,
        remove: 2,
        count: 1,
        scanFirst: 2,
        scanAfter: 3,
        clearBatch: 1,
        removeExpiredBatch: 2,
      },
    );
  });

  it('removes expired rows without waiting for locked ones, re-checking the expiry on delete', () => {
    assert.match(statements.removeExpiredBatch, /FOR UPDATE SKIP LOCKED\)\)\s+AND expires_at <= /);
    assert.doesNotMatch(statements.scanAfter, /OFFSET/i);
  });
});
