/**
 * Redis dies while an external write is in the WAL: the listener (on a cache
 * with the default `degrade` policy, which would resolve the failed bump)
 * does not acknowledge the LSN, so neither its position nor the slot's moves
 * and the lag grows; once Redis is back the bump lands, then the LSN is
 * acknowledged and the lag drops to about zero. Private Postgres and Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createClient } from 'redis';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { type RedisStore, redisStore } from '../../stores/redis/redis-store.js';
import { uniquePrefix } from '../../test-support/env.js';
import {
  eventually,
  type PostgresServer,
  replicationSlot,
  startPostgresServer,
} from '../../test-support/postgres-server.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { type DatabaseIdentity, tableTag } from '../table-tags.js';
import { type CdcListener, createCdcListener } from './cdc-listener.js';

describe('CDC listener: Redis down during a change', () => {
  const prefix = uniquePrefix('cdc-redis-down');
  const warnings: string[] = [];
  let postgres: PostgresServer;
  let redis: RedisServer;
  let psql: pg.Client;
  let store: RedisStore;
  let cache: Cache;
  let listener: CdcListener;
  let db: DatabaseIdentity;

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
    psql = new pg.Client(postgres.url);
    await psql.connect();
    await psql.query('CREATE TABLE products (id int PRIMARY KEY, name text)');
    store = redisStore({ url: redis.url });
    cache = createCache({ store, prefix, logger: { warn: () => {} } });
    listener = createCdcListener({
      cache,
      connection: postgres.url,
      logger: { warn: (message) => warnings.push(message) },
      statusInterval: 200,
      retry: { initialDelay: 50, maxDelay: 200 },
    });
    await listener.start();
    db = listener.identity as DatabaseIdentity;
    assert.equal(await listener.catchUp(), true);
  });

  after(async () => {
    await listener?.dropSlot();
    await psql?.end();
    await cache?.close();
    await store?.close();
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });

  it('holds the acknowledgement (and the slot) until the bump lands, and the lag shows it', async () => {
    const before = listener.stats();
    const slotBefore = (await replicationSlot(psql, 'larder'))?.confirmedFlushLsn;
    assert.equal(slotBefore, before.acknowledgedLsn);
    const lagBefore = await listener.lag();
    assert.equal(lagBefore.lagMs, 0);

    await redis.kill();
    await psql.query("INSERT INTO products VALUES (1, 'kettle')");
    await eventually(async () => listener.stats().bumpFailures >= 3, 10_000, 'failed bumps');
    await sleep(500); // several status intervals: any premature acknowledgement would have gone out

    const down = listener.stats();
    assert.equal(down.acknowledgedLsn, before.acknowledgedLsn, 'not acknowledged while Redis is down');
    assert.equal(
      (await replicationSlot(psql, 'larder'))?.confirmedFlushLsn,
      slotBefore,
      'the slot did not move',
    );
    assert.equal(down.transactions, before.transactions);
    const behind = await listener.lag();
    assert.ok(behind.lagBytes > 0, `lagBytes ${behind.lagBytes} while behind`);
    assert.ok(behind.lagMs >= 500, `lagMs ${behind.lagMs} while behind`);
    assert.ok(
      warnings.some((w) => /storing invalidations failed .*not acknowledging, retrying/.test(w)),
      'the retries are logged',
    );

    await redis.restart(); // same port, empty
    assert.equal(await listener.catchUp(10_000), true);
    const after = listener.stats();
    assert.equal(after.transactions, before.transactions + 1);
    await eventually(
      async () => (await replicationSlot(psql, 'larder'))?.confirmedFlushLsn === after.acknowledgedLsn,
      5_000,
      'the slot to move',
    );
    const caughtUp = await listener.lag();
    assert.equal(caughtUp.lagMs, 0);
    assert.ok(caughtUp.lagBytes < 64 * 1024, `lagBytes ${caughtUp.lagBytes} once caught up`);

    // The bump did land: the restarted (empty) Redis holds the table's generation counter.
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const counters = await client.keys(`${prefix}#T*`);
      assert.ok(
        counters.some((key) => key.includes(tableTag(db, 'public', 'products'))),
        `a counter for products among ${counters.join(', ')}`,
      );
    } finally {
      client.destroy();
    }
  });
});
