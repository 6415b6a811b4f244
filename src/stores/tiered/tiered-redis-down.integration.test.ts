/**
 * The tiered store over a private redis-server that goes away: at start (the
 * subscription cannot be made: L2-only, retried with backoff), and while in
 * use (L1 quarantined, reads are L2 failures that the cache degrades to
 * misses, and L1 comes back empty).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCache } from '../../create-cache.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/traffic.js';
import { type RedisStore, redisStore } from '../redis/index.js';
import { type TieredStore, tieredStore } from './index.js';

describe('tiered store when Redis is down (private redis-server)', () => {
  let server: RedisServer;
  const stores: TieredStore[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  const open = (): TieredStore => {
    const l2 = redisStore({
      url: server.url,
      reconnect: { initialDelay: 20, maxDelay: 100 },
      subscribeTimeout: 300,
    });
    const store = tieredStore({
      l2,
      channel: 'larder-test:tiered-down',
      retry: { initialDelay: 20, maxDelay: 100 },
    });
    stores.push(store);
    return store;
  };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedisServer();
  });

  after(async () => {
    for (const store of stores) await store.close();
    await server.stop();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  it('starts L2-only while the bus cannot subscribe, and turns L1 on once it can', async () => {
    await server.kill();
    const store = open();
    await waitFor(() => store.stats().subscribeFailures >= 2, 10_000, 'subscribe retries');
    assert.equal(store.stats().l1, 'quarantined');
    await server.restart();
    await store.ready();
    assert.equal(store.stats().l1, 'live');
  });

  it('quarantines L1 while Redis is gone: reads degrade to misses, and L1 comes back empty', async () => {
    const store = open();
    await store.ready();
    const cache = createCache({
      store,
      prefix: 'down',
      storeTimeout: 200,
      breaker: false,
      logger: { warn: () => {} },
    });
    await cache.set('k', 'before');
    assert.equal(await cache.get('k'), 'before');
    assert.equal(store.l1.size, 1);
    await server.kill();
    await waitFor(() => store.stats().l1 === 'quarantined', 5_000, 'quarantine');
    assert.equal(store.l1.size, 0);
    assert.equal(await cache.get('k'), undefined, 'an L2 failure, degraded to a miss; never the L1 copy');
    assert.ok(cache.stats().errors > 0);
    await server.restart();
    // The command connection and the subscriber connection come back separately.
    await store.ready();
    await (store.l2 as RedisStore).ready();
    assert.equal(await cache.get('k'), undefined, 'the restarted server is empty, and so is L1');
    await cache.set('k', 'after');
    assert.equal(await cache.get('k'), 'after');
  });
});
