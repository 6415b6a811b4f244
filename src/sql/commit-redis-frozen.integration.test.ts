/**
 * The cache store freezes (SIGSTOP of a private redis-server) right when a
 * write commits, so its invalidation cannot be stored:
 *
 * - `onInvalidationFailure: 'wait'`: the write (through `pool.query`) and a
 *   transaction's COMMIT (callback form, on a checked-out client) reject with
 *   `E_INVALIDATION_PENDING` within their bound, yet the rows are committed in
 *   Postgres, and the client stays usable. Thawed within the bound, the COMMIT
 *   resolves instead.
 * - `'retry'` (the default): the same statements resolve.
 * - Either way, once the store is back and the journal's replay bound has
 *   passed, another process (its own cache and Redis connection) reads the new
 *   rows, not the entries it cached before the write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { isLarderError } from '../core/errors.js';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/redis-store.js';
import { uniquePrefix } from '../test-support/env.js';
import { type RedisServer, startRedisServer } from '../test-support/redis-server.js';
import { type SqlFixture, sqlFixture } from '../test-support/sql-fixture.js';
import { type CachedPool, cachedPool } from './cached-pool.js';
import type { InvalidationFailurePolicy } from './sql-options.js';

const TIMEOUT_MS = 100;
const OPEN_MS = 250;
const WAIT_MS = 500;
/** The longest a 'wait' statement may take when the store stays down: its invalidation's timeout, the wait, slack for a loaded machine. */
const WAIT_BOUND_MS = TIMEOUT_MS + WAIT_MS + 3_000;
/** The replay bound after the thaw: the journal's longest retry (OPEN_MS) plus a round trip, plus slack. */
const REPLAY_BOUND_MS = OPEN_MS + TIMEOUT_MS + 1_000;

/** Run a query through the node-style callback form; resolves the error or the result. */
function viaCallback(
  client: pg.PoolClient,
  text: string,
): Promise<{ error: Error | null; result?: unknown }> {
  return new Promise((resolve) => {
    client.query(text, (error: Error | null, result?: unknown) => resolve({ error, result }));
  });
}

describe('a COMMIT while the cache store is frozen (private redis-server)', () => {
  let fx: SqlFixture;
  let server: RedisServer;
  const caches: Cache[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    [fx, server] = await Promise.all([sqlFixture('commit_frozen'), startRedisServer()]);
  });
  after(async () => {
    server?.thaw();
    for (const cache of caches) await cache.close();
    await fx?.close();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  /** A cache of its own process: its own connection to the private Redis. */
  async function makeCache(prefix: string): Promise<Cache> {
    const store = redisStore({ url: server.url, reconnect: { initialDelay: 20, maxDelay: 200 } });
    await store.ready?.();
    const cache = createCache({
      store,
      prefix,
      defaultTtl: '5m',
      storeTimeout: TIMEOUT_MS,
      breaker: { failureThreshold: 5, halfOpenAfter: OPEN_MS },
      logger: { warn: () => {} },
    });
    caches.push(cache);
    return cache;
  }

  /** A table with rows 1 and 2 named 'old', a writer pool with `policy`, a reader pool in "another process". */
  async function setup(
    policy: InvalidationFailurePolicy,
    wait = WAIT_MS,
  ): Promise<{ table: string; writer: CachedPool; reader: CachedPool }> {
    const table = `items_${policy}_${wait}`;
    await fx.admin.query(
      `CREATE TABLE ${fx.schema}.${table} (id int PRIMARY KEY, name text); INSERT INTO ${fx.schema}.${table} VALUES (1, 'old'), (2, 'old')`,
    );
    const prefix = uniquePrefix(`commit-frozen-${policy}`);
    const writer = cachedPool(fx.pool(), await makeCache(prefix), {
      onInvalidationFailure: policy,
      invalidationWait: wait,
    });
    const readerCache = await makeCache(prefix);
    const reader = cachedPool(fx.pool(), readerCache);
    // The writer learns the database identity; the reader caches both rows ('old').
    await writer.query(`SELECT name FROM ${table} WHERE id = 1`);
    const read = (id: number) => reader.query(`SELECT name FROM ${table} WHERE id = $1`, [id]);
    for (const id of [1, 2]) assert.equal((await read(id)).rows[0]?.name, 'old');
    await readerCache.idle(); // stored in the background
    const hits = reader.stats().hits;
    for (const id of [1, 2]) assert.equal((await read(id)).rows[0]?.name, 'old');
    assert.equal(reader.stats().hits, hits + 2, 'the reader serves the old rows from the cache');
    return { table, writer, reader };
  }

  /** What Postgres holds, outside any cache. */
  async function committed(table: string): Promise<string[]> {
    const { rows } = await fx.admin.query<{ name: string }>(
      `SELECT name FROM ${fx.schema}.${table} ORDER BY id`,
    );
    return rows.map((row) => row.name);
  }

  /** After the thaw and the replay bound, the reader is served the committed rows. */
  async function assertFreshAfterReplay(reader: CachedPool, table: string, thawAt: number): Promise<void> {
    await sleep(Math.max(0, thawAt + REPLAY_BOUND_MS - performance.now()));
    for (const id of [1, 2]) {
      const { rows } = await reader.query(`SELECT name FROM ${table} WHERE id = $1`, [id]);
      assert.equal(rows[0]?.name, 'new', `row ${id} as the other process reads it after the replay bound`);
    }
  }

  it("'wait': the write and the COMMIT reject with E_INVALIDATION_PENDING, committed; fresh after the thaw", async (t) => {
    const { table, writer, reader } = await setup('wait');
    const client = await writer.connect();
    await client.query('BEGIN');
    await client.query(`UPDATE ${table} SET name = 'new' WHERE id = 2`);

    server.freeze();
    let thawAt = Number.POSITIVE_INFINITY;
    try {
      let started = performance.now();
      const write = await writer.query(`UPDATE ${table} SET name = 'new' WHERE id = 1`).then(
        () => undefined,
        (error: unknown) => error,
      );
      const writeMs = performance.now() - started;
      started = performance.now();
      const commit = await viaCallback(client, 'COMMIT');
      const commitMs = performance.now() - started;
      t.diagnostic(`write rejected after ${writeMs.toFixed(0)} ms, COMMIT after ${commitMs.toFixed(0)} ms`);

      assert.ok(isLarderError(write, 'E_INVALIDATION_PENDING'), `pool.query write: ${String(write)}`);
      assert.match(write.message, /COMMITTED \(do not retry it\)/);
      assert.match(write.message, new RegExp(`\\.${table}`));
      assert.ok(isLarderError(commit.error, 'E_INVALIDATION_PENDING'), `COMMIT: ${String(commit.error)}`);
      for (const ms of [writeMs, commitMs]) {
        assert.ok(ms >= WAIT_MS - 50, `waited ${ms.toFixed(0)} ms for the replay first`);
        assert.ok(ms < WAIT_BOUND_MS, `rejected within its bound (${ms.toFixed(0)} ms)`);
      }
      assert.deepEqual(await committed(table), ['new', 'new'], 'both are committed in Postgres');
      assert.equal(client.getTransactionStatus(), 'I');
      assert.equal((await client.query('SELECT 1 AS one')).rows[0]?.one, 1, 'the client is still usable');
    } finally {
      client.release();
      server.thaw();
      thawAt = performance.now();
    }
    await assertFreshAfterReplay(reader, table, thawAt);
    assert.deepEqual(unhandled, []);
  });

  it("'wait': a store back within the wait lets the COMMIT resolve", async () => {
    const { table, writer, reader } = await setup('wait', 10_000);
    const client = await writer.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE ${table} SET name = 'new'`);
      server.freeze();
      const commit = viaCallback(client, 'COMMIT').then((outcome) => ({ ...outcome, at: performance.now() }));
      await sleep(TIMEOUT_MS * 3);
      server.thaw();
      const thawAt = performance.now();
      const { error, at } = await commit;
      assert.equal(error, null, 'resolved once the replay stored the invalidation');
      assert.ok(at >= thawAt, 'not before the store was back (the invalidation had failed at first)');
    } finally {
      server.thaw();
      client.release();
    }
    // Stored before the COMMIT resolved: no replay bound to wait for.
    await assertFreshAfterReplay(reader, table, Number.NEGATIVE_INFINITY);
  });

  it("'retry' (default): the write and the COMMIT resolve, committed; fresh after the thaw", async (t) => {
    const { table, writer, reader } = await setup('retry');
    const client = await writer.connect();
    await client.query('BEGIN');
    await client.query(`UPDATE ${table} SET name = 'new' WHERE id = 2`);

    server.freeze();
    let thawAt = Number.POSITIVE_INFINITY;
    try {
      const started = performance.now();
      const write = await writer.query(`UPDATE ${table} SET name = 'new' WHERE id = 1`);
      const commit = await viaCallback(client, 'COMMIT');
      t.diagnostic(`both resolved after ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(write.rowCount, 1);
      assert.equal(commit.error, null);
      assert.deepEqual(await committed(table), ['new', 'new']);
      // This process serves none of it meanwhile (tombstoned while the replay is pending).
      assert.equal((await writer.query(`SELECT name FROM ${table} WHERE id = 1`)).rows[0]?.name, 'new');
    } finally {
      client.release();
      server.thaw();
      thawAt = performance.now();
    }
    await assertFreshAfterReplay(reader, table, thawAt);
    assert.deepEqual(unhandled, []);
  });
});
