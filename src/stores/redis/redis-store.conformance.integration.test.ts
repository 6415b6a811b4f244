/**
 * The conformance suite (`larder/testing`) against the Redis store, on the
 * shared Redis (`REDIS_URL`, default 127.0.0.1:6379). Every key lives under a
 * prefix unique to this run; each case clears its own, and the last test checks
 * (and sweeps) that nothing was left behind. Never FLUSHDB, never KEYS.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { createClient } from 'redis';
import { createCache } from '../../create-cache.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { conformanceSuite } from '../../testing/index.js';
import { redisStore } from './index.js';

const url = redisUrl();
const prefix = uniquePrefix('conformance-redis');

conformanceSuite({
  name: 'redis',
  createCache,
  prefix,
  createStore: async () => {
    const store = redisStore({ url });
    await store.ready();
    return store;
  },
  skip: {
    'data types (msgpack): -0 keeps its sign':
      'msgpackr writes -0 as the integer 0: a gap in src/serializers/msgpack-serializer.ts, not in the store (reported to the lead)',
  },
});

const leftovers: string[] = [];

it('the suite leaves no keys behind under its prefix', async () => {
  const client = createClient({ url });
  await client.connect();
  try {
    // SCAN, never KEYS: the shared Redis must not block.
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) leftovers.push(...keys);
    // Remove them before failing, so a failed run does not litter the shared Redis.
    if (leftovers.length > 0) await client.unlink(leftovers);
  } finally {
    client.destroy();
  }
  assert.deepEqual(leftovers, []);
});

after(() => {
  if (leftovers.length > 0) console.error(`removed ${leftovers.length} leftover key(s) under ${prefix}`);
});
