/**
 * The Postgres that scripts/test.mjs provides in `DATABASE_URL` (the shared one,
 * or a private server it started) takes a login and a query, and lets a test
 * create and drop a schema of its own, as every test under src/sql/ does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { databaseUrl, uniqueSchema } from '../test-support/env.js';

describe('Postgres for the SQL integration tests', () => {
  const client = new pg.Client(databaseUrl());
  before(() => client.connect());
  after(() => client.end());

  it('answers SELECT 1', async () => {
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    assert.deepEqual(result.rows, [{ one: 1 }]);
  });

  it('lets a test create and drop a schema of its own', async () => {
    const schema = uniqueSchema('postgres_available');
    await client.query(`CREATE SCHEMA ${schema}`);
    try {
      await client.query(`CREATE TABLE ${schema}.t (id int PRIMARY KEY)`);
      await client.query(`INSERT INTO ${schema}.t VALUES (1)`);
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.t`);
      assert.equal(result.rows[0]?.n, '1');
    } finally {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});
