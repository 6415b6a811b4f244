/**
 * Leases on the shared Redis, between two stores (two connections, as two
 * processes would have): one holder at a time, release by the holder only,
 * takeover after expiry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { type RedisStore, redisStore } from './redis-store.js';

describe('redisStore leases on the shared Redis', () => {
  const prefix = uniquePrefix('redis-leases');
  const lease = (name: string): string => `${prefix}#L${name}`;
  let one: RedisStore;
  let two: RedisStore;

  before(async () => {
    one = redisStore({ url: redisUrl() });
    two = redisStore({ url: redisUrl() });
    await Promise.all([one.ready(), two.ready()]);
  });

  after(async () => {
    await one.clear(prefix);
    await Promise.all([one.close(), two.close()]);
  });

  it('one holder at a time: the other store gets false until the holder releases', async () => {
    assert.equal(await one.acquireLease(lease('a'), 'token-1', 10_000), true);
    assert.equal(await two.acquireLease(lease('a'), 'token-2', 10_000), false);
    assert.equal(await one.acquireLease(lease('a'), 'token-1', 10_000), false, 'not re-entrant');
    assert.equal(await one.releaseLease(lease('a'), 'token-1'), true);
    assert.equal(await two.acquireLease(lease('a'), 'token-2', 10_000), true);
    assert.equal(await two.releaseLease(lease('a'), 'token-2'), true);
  });

  it('stores the token as a plain string with the TTL in ms', async () => {
    await one.acquireLease(lease('raw'), 'token-raw', 5_000);
    assert.equal((await one.get(lease('raw')))?.toString('utf8'), 'token-raw');
    const left = await one.ttl(lease('raw'));
    assert.ok(typeof left === 'number' && left > 4_000 && left <= 5_000, `ttl ${left}`);
    await one.releaseLease(lease('raw'), 'token-raw');
  });

  it('a store that does not hold the lease cannot release it', async () => {
    await one.acquireLease(lease('b'), 'token-1', 10_000);
    assert.equal(await two.releaseLease(lease('b'), 'token-2'), false);
    assert.equal(await two.acquireLease(lease('b'), 'token-2', 10_000), false, 'still held');
    assert.equal(await two.releaseLease(lease('never-taken'), 'token-2'), false);
    assert.equal(await one.releaseLease(lease('b'), 'token-1'), true);
  });

  it('expires after its TTL: another store takes it, and the old holder can no longer release it', async () => {
    assert.equal(await one.acquireLease(lease('c'), 'token-1', 150), true);
    await sleep(250);
    assert.equal(await two.acquireLease(lease('c'), 'token-2', 10_000), true);
    assert.equal(await one.releaseLease(lease('c'), 'token-1'), false, 'must not release the new holder');
    assert.equal(await one.acquireLease(lease('c'), 'token-1', 10_000), false);
    assert.equal(await two.releaseLease(lease('c'), 'token-2'), true);
  });

  it('of many concurrent attempts from both stores, exactly one wins', async () => {
    const attempts = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? one : two).acquireLease(lease('race'), `token-${i}`, 10_000),
    );
    const won = (await Promise.all(attempts)).filter(Boolean).length;
    assert.equal(won, 1);
  });
});
