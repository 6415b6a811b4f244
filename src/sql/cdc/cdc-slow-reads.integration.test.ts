/**
 * The listener's process cannot read its cache (every read of the store takes
 * longer than the timeout, so the read breaker opens and stays open), but the
 * store takes writes: an external write (a plain pg client, as psql) is still
 * invalidated promptly and acknowledged, because the bump goes through the
 * cache's invalidation guard, which those reads cannot open. Routed through
 * the read guard instead, every bump of the listener is short-circuited for
 * the read breaker's open time (20 s here): the cache's journal replay still
 * lands the counter (~60 ms), but the listener is told `'journaled'` and
 * cannot acknowledge the LSN, so this test fails at "acknowledged".
 *
 * Fault injection: the listener's store is a real `redisStore` whose reads
 * (`get`, `getMany`, `has`, `ttl`) are delayed past the timeout once switched
 * on; writes, deletes and `incrBy` go straight through. Private Postgres
 * (wal_level=logical) and Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Store } from '../../core/store.js';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { redisStore } from '../../stores/redis/redis-store.js';
import { uniquePrefix } from '../../test-support/env.js';
import { eventually, type PostgresServer, startPostgresServer } from '../../test-support/postgres-server.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { type CachedPool, cachedPool } from '../cached-pool.js';
import { type CdcListener, createCdcListener } from './cdc-listener.js';

const TIMEOUT_MS = 100;
const READ_DELAY_MS = 3 * TIMEOUT_MS;
/** The read breaker's open time: far longer than the bound below, so waiting for it shows. */
const OPEN_MS = 20_000;
/** How soon the external write must be invalidated: generous for a loaded machine, far under OPEN_MS. */
const PROMPT_MS = 5_000;

const READS = new Set<PropertyKey>(['get', 'getMany', 'has', 'ttl']);

/** `store` with its reads delayed by `delayMs` while `slow()` says so; everything else untouched. */
function slowReads(store: Store, delayMs: number, slow: () => boolean): Store {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!READS.has(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        if (slow()) await sleep(delayMs);
        return method.apply(target, args);
      };
    },
  });
}

describe('CDC listener: its process reads time out, its bumps still land', () => {
  const prefix = uniquePrefix('cdc-slow-reads');
  let postgres: PostgresServer;
  let redis: RedisServer;
  let psql: pg.Client;
  let slow = false;
  let listenerCache: Cache;
  let appCache: Cache;
  let app: CachedPool;
  let listener: CdcListener;

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
    psql = new pg.Client(postgres.url);
    await psql.connect();
    await psql.query(
      "CREATE TABLE products (id int PRIMARY KEY, name text); INSERT INTO products VALUES (1, 'old')",
    );
    listenerCache = createCache({
      store: slowReads(redisStore({ url: redis.url }), READ_DELAY_MS, () => slow),
      prefix,
      storeTimeout: TIMEOUT_MS,
      breaker: { failureThreshold: 3, halfOpenAfter: OPEN_MS },
      logger: { warn: () => {} },
    });
    listener = createCdcListener({
      cache: listenerCache,
      connection: postgres.url,
      logger: { warn: () => {} },
      statusInterval: 200,
      retry: { initialDelay: 50, maxDelay: 200 },
    });
    await listener.start(); // reads still fast: start() reads the "full invalidation owed" marker
    appCache = createCache({ store: redisStore({ url: redis.url }), prefix, logger: { warn: () => {} } });
    app = cachedPool(new pg.Pool({ connectionString: postgres.url, max: 2 }), appCache);
  });

  after(async () => {
    slow = false;
    await listener?.dropSlot();
    await app?.end();
    await psql?.end();
    await listenerCache?.close();
    await appCache?.close();
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });

  it('invalidates a psql-style UPDATE promptly while the read breaker is open', async (t) => {
    const read = async () => (await app.query('SELECT name FROM products WHERE id = 1')).rows[0]?.name;
    assert.equal(await read(), 'old');
    await appCache.idle();
    const hits = app.stats().hits;
    assert.equal(await read(), 'old');
    assert.equal(app.stats().hits, hits + 1, 'the app serves the row from the cache');
    assert.equal(await listener.catchUp(5_000), true);

    // The listener's process reads its cache, and every read times out: the read breaker opens.
    slow = true;
    let reading = true;
    const readerLoop = (async () => {
      while (reading) {
        await listenerCache.get('some-page');
        await sleep(20);
      }
    })();
    try {
      await eventually(
        async () => listenerCache.stats().breaker === 'open',
        5_000,
        'the read breaker to open',
      );
      const failuresBefore = listener.stats().bumpFailures;

      await psql.query("UPDATE products SET name = 'new' WHERE id = 1");
      const tookMs = await eventually(
        async () => (await read()) === 'new',
        PROMPT_MS,
        'the app to read the new row',
      );
      t.diagnostic(`invalidated ${tookMs.toFixed(0)} ms after the UPDATE returned, read breaker open`);

      assert.equal(await listener.catchUp(PROMPT_MS), true, 'acknowledged');
      assert.equal(listener.stats().bumpFailures, failuresBefore, 'no bump failed');
      // The invalidation may land before the reader loop reads again: one read now.
      await listenerCache.get('some-page');
      const stats = listenerCache.stats();
      assert.equal(stats.breaker, 'open', 'reads were still short-circuited meanwhile');
      assert.ok(
        stats.shortCircuited > 0,
        `${stats.shortCircuited} reads short-circuited: ${JSON.stringify(stats)}`,
      );
    } finally {
      reading = false;
      await readerLoop;
    }
  });
});
