/**
 * Every key Larder writes expires unless the user asked for 'forever': a mixed
 * workload on the shared Redis, then a SCAN of the prefix checks each key's PTTL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createCache } from '../../create-cache.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { type RedisStore, redisStore } from './redis-store.js';

describe('every key Larder writes on Redis expires, unless forever', () => {
  const prefix = uniquePrefix('key-expiry');
  let store: RedisStore;
  let admin: ReturnType<typeof createClient>;

  before(async () => {
    store = redisStore({ url: redisUrl() });
    admin = createClient({ url: redisUrl() });
    await Promise.all([store.ready(), admin.connect()]);
  });

  after(async () => {
    await store.clear(prefix);
    await Promise.all([store.close(), admin.quit()]);
  });

  async function pttls(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const keys of admin.scanIterator({ MATCH: pattern, COUNT: 1000 }))
      for (const key of keys) out.set(key, await admin.pTTL(key));
    return out;
  }

  it('a mixed workload leaves no key without a TTL except forever entries and their counters', async () => {
    const cache = createCache({ store, prefix, defaultTtl: '10m' });
    const users = cache.namespace('users');
    for (let id = 0; id < 20; id++) {
      await cache.set(`user:${id}`, id, { tags: [`user:${id}`, 'users'], grace: '1m' });
      await users.getOrSet(`profile:${id}`, () => ({ id }), { tags: [`user:${id}`], grace: '30s' });
    }
    await cache.add('added', 1, { tags: ['added'] });
    await cache.set('counter', 0);
    await cache.incr('counter', 5);
    await cache.invalidateTags(['user:3', 'never-used']);
    await users.clear();
    await users.set('after-clear', 1, { tags: ['users'] });
    await users.namespace('nested').setMany({ a: 1, b: 2 }, { tags: ['nested'] });
    await cache.getOrSet('leased', async () => 'v', { tags: ['leased'] });
    await cache.set('forever', 1, { ttl: 'forever', tags: ['keep'] });
    await cache.namespace('archive').set('old', 1, { ttl: 'forever' });
    await cache.idle();

    const found = await pttls();
    assert.ok(found.size > 40, `the workload wrote keys (${found.size})`);
    const allowed = new Set([
      `${prefix}:1:forever`,
      `${prefix}#T:keep`,
      `${prefix}/archive#`,
      ...[...found.keys()].filter((k) => k.startsWith(`${prefix}/archive#`) && k.endsWith(':1:old')),
    ]);
    const persistent = [...found].filter(([, ttl]) => ttl === -1).map(([key]) => key);
    assert.deepEqual(persistent.sort(), [...allowed].sort(), 'keys without a TTL');
    // A counter outlives what depends on it: the tag of a 10-minute entry with 1 minute of grace.
    const counter = found.get(`${prefix}#T:user:1`) ?? 0;
    assert.ok(counter > 11 * 60_000, `user:1's counter lives past its entries (${counter} ms)`);
  });

  it('an expired counter leaves its entries invalid on Redis', async () => {
    const cache = createCache({ store, prefix: `${prefix}x`, defaultTtl: '10m' });
    await cache.set('k', 'v', { tags: ['t'] });
    assert.equal(await cache.get('k'), 'v');
    await admin.pExpire(`${prefix}x#T:t`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await cache.get('k'), undefined, 'a missing counter is invalid');
    await cache.set('other', 1, { tags: ['t'] });
    assert.equal(await cache.get('k'), undefined, 'the re-seeded counter does not revive it');
  });
});
