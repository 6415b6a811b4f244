/**
 * Child of redis-unreachable.integration.test.ts: a store against `REDIS_URL`
 * (where nothing listens) left reconnecting for `WAIT_MS`, so its backoff has
 * grown, then closed. Prints how long the process lived after `close()`
 * resolved, from the 'exit' event, which fires once nothing keeps it alive.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisStore } from '../redis-store.js';

const store = redisStore({ url: process.env.REDIS_URL });
await sleep(Number(process.env.WAIT_MS ?? 3000));
await store.close();
const closedAt = performance.now();
process.on('exit', () => {
  console.log(`exit-after-close-ms=${Math.round(performance.now() - closedAt)}`);
});
