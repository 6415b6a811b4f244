/**
 * What the durable slot buys, on a private Postgres: a listener that was down
 * replays every write it missed — and the slot moves only after the bumps —
 * while a slot that was dropped or invalidated in the meantime costs one full,
 * logged invalidation before the listener reports itself ready. A publication
 * dropped under a running listener makes the stream fail; it recovers the same way.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { createRandom } from '../../test-support/seeded-random.js';
import { type DatabaseIdentity, databaseTag, tableTag } from '../table-tags.js';
import { type CdcListener, createCdcListener } from './cdc-listener.js';
import { parseLsn } from './lsn.js';

const WRITTEN = ['t1', 't2', 't3'] as const;
const TABLES = [...WRITTEN, 'untouched'] as const;
const KEYS_PER_TABLE = 25;

/** The cache with `invalidateTags` held at a gate until the test opens it. */
function gated(cache: Cache) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let held = 0;
  const proxy = new Proxy(cache, {
    get(target, property) {
      if (property === 'invalidateTags') {
        return async (tags: Iterable<string>) => {
          held++;
          await gate;
          return target.invalidateTags(tags);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { cache: proxy, open, held: () => held };
}

describe('CDC listener: downtime, replay and lost slots', () => {
  const prefix = uniquePrefix('cdc-recovery');
  let server: PostgresServer;
  let psql: pg.Client;
  let store: RedisStore;
  let cache: Cache;
  let db: DatabaseIdentity;
  let listener: CdcListener | undefined;
  const warnings: string[] = [];
  const start = async (options: { cache?: Cache } = {}) => {
    listener = createCdcListener({
      cache: options.cache ?? cache,
      connection: server.url,
      logger: { warn: (message) => warnings.push(message) },
    });
    await listener.start();
    return listener;
  };

  const keys = (table: string) => Array.from({ length: KEYS_PER_TABLE }, (_, i) => `${table}:${i}`);
  const fill = async () => {
    for (const table of TABLES) {
      for (const key of keys(table)) {
        await cache.set(key, key, { ttl: 60_000, tags: [databaseTag(db), tableTag(db, 'public', table)] });
      }
      assert.equal(await served(table), KEYS_PER_TABLE, `every ${table} entry was stored`);
    }
  };
  /** How many of the table's entries are still served. */
  const served = async (table: string) => (await cache.getMany(keys(table))).size;
  const slotLsn = async () => (await replicationSlot(psql, 'larder'))?.confirmedFlushLsn;

  before(async () => {
    server = await startPostgresServer();
    psql = new pg.Client(server.url);
    await psql.connect();
    for (const table of TABLES) await psql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int)`);
    store = redisStore({ url: redisUrl() });
    // Not a test of timeouts: under load a 100 ms write could time out and be
    // journaled as a delete, leaving an entry unfilled (24 of 25 served).
    cache = createCache({ store, prefix, storeTimeout: '5s' });
    const first = await start();
    db = first.identity as DatabaseIdentity;
    assert.equal(await first.catchUp(), true);
    await first.stop();
  });

  // Each test stops its listener; a failing one must not leave it streaming into the next.
  afterEach(async () => {
    await listener?.stop();
  });

  after(async () => {
    await listener?.dropSlot();
    await psql?.end();
    await store?.clear(prefix);
    await cache?.close();
    await server?.stop();
  });

  it('listener down, 1,000 external writes, restarted: zero stale entries, and the slot moved only after the bumps', async (t) => {
    await fill();
    const stoppedAt = await slotLsn();
    const random = createRandom(4);
    // Transactions that changed a row; one whose UPDATE or DELETE matched nothing is not in the WAL stream.
    let transactions = 0;
    for (let writes = 0; writes < 1_000; ) {
      const statements = 1 + Math.floor(random() * 4);
      const explicit = statements > 1;
      let changed = 0;
      if (explicit) await psql.query('BEGIN');
      for (let s = 0; s < statements && writes < 1_000; s++, writes++) {
        const table = WRITTEN[Math.floor(random() * WRITTEN.length)];
        const id = Math.floor(random() * 200);
        const kind = random();
        const result =
          kind < 0.6
            ? await psql.query(
                `INSERT INTO ${table} VALUES ($1, 0) ON CONFLICT (id) DO UPDATE SET n = ${table}.n + 1`,
                [id],
              )
            : kind < 0.85
              ? await psql.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [id])
              : await psql.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
        changed += result.rowCount ?? 0;
      }
      if (explicit) await psql.query('COMMIT');
      if (changed > 0) transactions++;
    }
    // Without a listener nothing moved: every entry would be a stale read now.
    assert.equal(await slotLsn(), stoppedAt);
    for (const table of TABLES) assert.equal(await served(table), KEYS_PER_TABLE);

    const held = gated(cache);
    const restarted = await start({ cache: held.cache });
    await eventually(async () => held.held() > 0, 5_000, 'the first bump');
    await sleep(300); // long enough for status updates and keepalives to go out
    assert.equal(restarted.stats().acknowledgedLsn, stoppedAt, 'nothing acknowledged while the bump is held');
    assert.equal(await slotLsn(), stoppedAt, 'the slot did not move while the bump was held');
    assert.equal(await served('t1'), KEYS_PER_TABLE, 'and nothing was invalidated yet');

    held.open();
    assert.equal(await restarted.catchUp(), true);
    const stale = (await served('t1')) + (await served('t2')) + (await served('t3'));
    assert.equal(stale, 0, 'zero stale entries after catching up');
    assert.equal(await served('untouched'), KEYS_PER_TABLE, 'no full invalidation, no other table');
    const stats = restarted.stats();
    assert.equal(stats.transactions, transactions, 'every missed transaction was replayed once');
    assert.equal(stats.fullInvalidations, 0);
    await eventually(
      async () => (await slotLsn()) === restarted.stats().acknowledgedLsn,
      5_000,
      'the slot to move',
    );
    assert.ok(parseLsn((await slotLsn()) ?? '0/0') > parseLsn(stoppedAt ?? '0/0'));
    t.diagnostic(`${transactions} transactions replayed in ${stats.tablesInvalidated} table bumps`);
  });

  it('slot dropped while the listener was down: a full, logged invalidation before start() resolves', async () => {
    await fill();
    await psql.query("SELECT pg_drop_replication_slot('larder')");
    await psql.query('INSERT INTO t1 VALUES (1000, 0)'); // a write no slot recorded
    warnings.length = 0;
    const restarted = await start();
    for (const table of TABLES) assert.equal(await served(table), 0, `${table}: invalid at once`);
    assert.equal(restarted.stats().fullInvalidations, 1);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? '',
      /replication slot "larder" does not exist .*; invalidating every cached query of database "postgres"/,
    );
    // The new slot streams as usual.
    await fill();
    await psql.query('INSERT INTO t2 VALUES (1000, 0)');
    assert.equal(await restarted.catchUp(), true);
    assert.equal(await served('t2'), 0);
    assert.equal(await served('t1'), KEYS_PER_TABLE);
  });

  it('slot invalidated by max_slot_wal_keep_size while down: dropped, re-created, full invalidation', async () => {
    await fill();
    await psql.query("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    await psql.query('SELECT pg_reload_conf()');
    try {
      // Each switch starts a new 16 MB segment, leaving the idle slot far behind the limit.
      for (let i = 0; i < 4; i++) {
        await psql.query(`INSERT INTO untouched VALUES (${2000 + i}, 0)`);
        await psql.query('SELECT pg_switch_wal()');
      }
      await psql.query('CHECKPOINT');
      await eventually(
        async () => (await replicationSlot(psql, 'larder'))?.walStatus === 'lost',
        10_000,
        'lost',
      );
    } finally {
      await psql.query('ALTER SYSTEM RESET max_slot_wal_keep_size');
      await psql.query('SELECT pg_reload_conf()');
    }
    warnings.length = 0;
    const restarted = await start();
    for (const table of TABLES) assert.equal(await served(table), 0, `${table}: invalid at once`);
    assert.match(
      warnings[0] ?? '',
      /replication slot "larder" was invalidated .*invalidating every cached query/,
    );
    assert.equal((await replicationSlot(psql, 'larder'))?.walStatus, 'reserved', 'a fresh slot');
    assert.equal(restarted.stats().fullInvalidations, 1);
  });

  it('publication dropped while streaming: the stream fails, publication and slot are re-created, full invalidation', async () => {
    const running = await start();
    assert.equal(await running.catchUp(), true);
    await fill();
    warnings.length = 0;
    await psql.query('DROP PUBLICATION larder');
    await psql.query('INSERT INTO t3 VALUES (3000, 0)'); // decoded under no publication: the stream errors
    await eventually(async () => running.stats().fullInvalidations === 1, 10_000, 'the full invalidation');
    for (const table of TABLES) assert.equal(await served(table), 0, `${table}: invalid`);
    assert.ok(
      warnings.some((w) => /replication stream failed \(publication "larder" does not exist\)/.test(w)),
    );
    assert.ok(
      warnings.some((w) =>
        /can no longer stream from replication slot "larder".*invalidating every cached query/.test(w),
      ),
    );
    const { rows } = await psql.query("SELECT puballtables FROM pg_publication WHERE pubname = 'larder'");
    assert.deepEqual(rows, [{ puballtables: true }], 'the publication is back');

    await fill();
    await psql.query('INSERT INTO t2 VALUES (3000, 0)');
    assert.equal(await running.catchUp(), true);
    assert.equal(await served('t2'), 0, 'following again');
    assert.equal(await served('t1'), KEYS_PER_TABLE);
  });
});
