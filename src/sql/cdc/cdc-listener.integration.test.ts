/**
 * The CDC listener on a private Postgres with wal_level=logical and the shared
 * Redis: writes made with a plain pg client (as psql would) invalidate the
 * cached entries of their tables and only those — INSERT, TRUNCATE,
 * multi-table transactions, partitions — a rollback invalidates nothing, the
 * diagnostics channels report, and stop() keeps the durable slot.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { type RedisStore, redisStore } from '../../stores/redis/redis-store.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import {
  eventually,
  type PostgresServer,
  replicationSlot,
  startPostgresServer,
} from '../../test-support/postgres-server.js';
import { SQL_CHANNELS } from '../sql-channels.js';
import { type DatabaseIdentity, databaseTag, tableTag } from '../table-tags.js';
import { type CdcListener, createCdcListener } from './cdc-listener.js';

describe('CDC listener: external writes invalidate cached queries', () => {
  const prefix = uniquePrefix('cdc-listener');
  const warnings: string[] = [];
  let server: PostgresServer;
  let psql: pg.Client;
  let store: RedisStore;
  let cache: Cache;
  let listener: CdcListener;
  let db: DatabaseIdentity;

  /** Cache an entry the way a query over `tables` would be cached. */
  const cacheQuery = (key: string, ...tables: string[]) =>
    cache.set(
      key,
      { rows: [key] },
      { ttl: 60_000, tags: [databaseTag(db), ...tables.map((t) => tableTag(db, 'public', t))] },
    );
  const cached = async (key: string) => (await cache.get(key)) !== undefined;
  const invalidated = (key: string) =>
    eventually(async () => !(await cached(key)), 5_000, `${key} to be invalidated`);

  before(async () => {
    server = await startPostgresServer();
    psql = new pg.Client(server.url);
    await psql.connect();
    await psql.query(`
      CREATE TABLE products (id int PRIMARY KEY, name text);
      CREATE TABLE orders (id int PRIMARY KEY, product int);
      CREATE TABLE audit (id serial PRIMARY KEY, note text);
      CREATE TABLE measurements (id int, region text) PARTITION BY LIST (region);
      CREATE TABLE measurements_eu PARTITION OF measurements FOR VALUES IN ('eu');
      CREATE TABLE measurements_us PARTITION OF measurements FOR VALUES IN ('us');`);
    store = redisStore({ url: redisUrl() });
    cache = createCache({ store, prefix });
    listener = createCdcListener({
      cache,
      connection: server.url,
      logger: { warn: (message) => warnings.push(message) },
      statusInterval: 1_000,
    });
    await listener.start();
    db = listener.identity as DatabaseIdentity;
  });

  after(async () => {
    await listener?.dropSlot();
    await psql?.end();
    await store?.clear(prefix);
    await cache?.close();
    await server?.stop();
  });

  it('the first start created the publication and a durable slot, with a logged full invalidation', async () => {
    const { rows } = await psql.query("SELECT puballtables FROM pg_publication WHERE pubname = 'larder'");
    assert.deepEqual(rows, [{ puballtables: true }]);
    const slot = await replicationSlot(psql, 'larder');
    assert.equal(slot?.active, true);
    const { rows: kinds } = await psql.query(
      "SELECT temporary, plugin FROM pg_replication_slots WHERE slot_name = 'larder'",
    );
    assert.deepEqual(kinds, [{ temporary: false, plugin: 'pgoutput' }]);
    assert.equal(listener.stats().fullInvalidations, 1);
    assert.match(
      warnings[0] ?? '',
      /slot "larder" does not exist.*invalidating every cached query of database "postgres"/,
    );
    assert.match(db.systemId, /^\d+$/);
    assert.equal(db.database, 'postgres');
  });

  it('an INSERT from a plain client invalidates the entries of its table within a bounded time, no others', async (t) => {
    await cacheQuery('products:all', 'products');
    await cacheQuery('orders:all', 'orders');
    await psql.query('INSERT INTO audit (note) VALUES ($1)', ['unrelated']);
    assert.equal(await listener.catchUp(), true);
    assert.equal(await cached('products:all'), true, 'a write to another table leaves it alone');

    await psql.query("INSERT INTO products VALUES (1, 'kettle')");
    const tookMs = await invalidated('products:all');
    t.diagnostic(`invalidated ${tookMs.toFixed(1)} ms after the INSERT returned`);
    assert.equal(await cached('orders:all'), true, 'orders were not written');
  });

  it('a multi-table transaction invalidates every table it wrote; a rolled-back one invalidates nothing', async () => {
    await cacheQuery('products:1', 'products');
    await cacheQuery('join', 'products', 'orders');
    await cacheQuery('orders:1', 'orders');
    await cacheQuery('audit:recent', 'audit');

    await psql.query('BEGIN');
    await psql.query("INSERT INTO audit (note) VALUES ('rolled back')");
    await psql.query('ROLLBACK');
    await psql.query('BEGIN');
    await psql.query("UPDATE products SET name = 'kettle 2' WHERE id = 1");
    await psql.query('INSERT INTO orders VALUES (1, 1)');
    await psql.query('COMMIT');
    assert.equal(await listener.catchUp(), true);

    assert.equal(await cached('products:1'), false);
    assert.equal(await cached('join'), false);
    assert.equal(await cached('orders:1'), false);
    assert.equal(await cached('audit:recent'), true, 'the rolled-back INSERT invalidated nothing');
  });

  it('TRUNCATE of several tables invalidates each of them', async () => {
    await cacheQuery('products:count', 'products');
    await cacheQuery('orders:count', 'orders');
    await cacheQuery('audit:count', 'audit');
    await psql.query('TRUNCATE products, orders');
    assert.equal(await listener.catchUp(), true);
    assert.equal(await cached('products:count'), false);
    assert.equal(await cached('orders:count'), false);
    assert.equal(await cached('audit:count'), true);
  });

  it('a row written to a partition reaches reads of the partitioned table, not of its sibling', async () => {
    // Tagged as the wrapper tags them: a read of the parent carries its partitions,
    // a read of a partition its ancestors. pgoutput names the partition written.
    await cacheQuery('measurements:all', 'measurements', 'measurements_eu', 'measurements_us');
    await cacheQuery('measurements:us', 'measurements_us', 'measurements');
    await cacheQuery('measurements:eu', 'measurements_eu', 'measurements');
    await psql.query("INSERT INTO measurements VALUES (1, 'eu')");
    assert.equal(await listener.catchUp(), true);
    assert.equal(await cached('measurements:all'), false);
    assert.equal(await cached('measurements:eu'), false);
    assert.equal(await cached('measurements:us'), true, 'the sibling partition was not written');
  });

  it('reports on larder:sql:invalidate and larder:sql:cdc-lag, and counts', async () => {
    const heard: unknown[] = [];
    const onInvalidate = (message: unknown) => heard.push(message);
    diagnostics.subscribe(SQL_CHANNELS.invalidate, onInvalidate);
    const before = listener.stats();
    try {
      await psql.query("INSERT INTO products VALUES (2, 'cup')");
      assert.equal(await listener.catchUp(), true);
    } finally {
      diagnostics.unsubscribe(SQL_CHANNELS.invalidate, onInvalidate);
    }
    assert.deepEqual(heard, [{ tables: 1, source: 'cdc' }]);
    const stats = listener.stats();
    assert.equal(stats.transactions, before.transactions + 1);
    assert.equal(stats.tablesInvalidated, before.tablesInvalidated + 1);
    assert.equal(stats.streaming, true);

    const lag = await listener.lag();
    assert.equal(lag.lagMs, 0, 'caught up: nothing waits');
    assert.ok(lag.lagBytes < 64 * 1024, `caught up: ${lag.lagBytes} bytes behind`);

    // A listener publishing its lag every 50 ms, on another slot.
    const lags: Array<{ lagBytes: number; lagMs: number }> = [];
    const onLag = (message: unknown) => lags.push(message as { lagBytes: number; lagMs: number });
    diagnostics.subscribe(SQL_CHANNELS.cdcLag, onLag);
    const second = createCdcListener({
      cache,
      connection: server.url,
      slot: 'larder_lag',
      lagInterval: 50,
      logger: { warn: () => {} },
    });
    try {
      await second.start();
      await eventually(async () => lags.length >= 2, 5_000, 'lag reports');
    } finally {
      diagnostics.unsubscribe(SQL_CHANNELS.cdcLag, onLag);
      await second.dropSlot();
    }
    for (const report of lags) {
      assert.deepEqual(Object.keys(report).sort(), ['lagBytes', 'lagMs']);
      assert.ok(Number.isFinite(report.lagBytes) && Number.isFinite(report.lagMs));
    }
  });

  it('the stream is cut (walsender terminated): reconnects, and a write made meanwhile is not lost', async () => {
    const reconnects = listener.stats().reconnects;
    await cacheQuery('orders:cut', 'orders');
    await psql.query(
      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'larder'",
    );
    await psql.query('INSERT INTO orders VALUES (10, 1)');
    await invalidated('orders:cut');
    assert.ok(listener.stats().reconnects > reconnects);
    assert.ok(warnings.some((w) => /replication stream failed .*reconnecting in \d+ ms/.test(w)));
  });

  it('Postgres restarts: the listener comes back by itself and follows the writes made after', async () => {
    const reconnects = listener.stats().reconnects;
    await psql.end();
    await server.restart();
    psql = new pg.Client(server.url);
    await psql.connect();
    await cacheQuery('orders:restart', 'orders');
    await psql.query('INSERT INTO orders VALUES (11, 1)');
    await eventually(async () => !(await cached('orders:restart')), 20_000, 'invalidation after the restart');
    assert.ok(listener.stats().reconnects > reconnects);
    assert.equal(
      listener.stats().fullInvalidations,
      1,
      'the slot survived the restart: no full invalidation',
    );
  });

  it('stop() keeps the slot and its position; a new listener resumes there without a full invalidation', async () => {
    await listener.stop();
    const slot = await replicationSlot(psql, 'larder');
    assert.equal(slot?.active, false, 'released');
    assert.equal(slot?.confirmedFlushLsn, listener.stats().acknowledgedLsn);
    await cacheQuery('orders:after-stop', 'orders');
    await psql.query('INSERT INTO orders VALUES (50, 1)');

    listener = createCdcListener({
      cache,
      connection: server.url,
      logger: { warn: (m) => warnings.push(m) },
    });
    await listener.start();
    assert.equal(await listener.catchUp(), true);
    assert.equal(await cached('orders:after-stop'), false, 'replayed from the slot');
    assert.equal(listener.stats().fullInvalidations, 0);
  });
});
