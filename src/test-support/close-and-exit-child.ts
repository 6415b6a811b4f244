/**
 * Child of src/stores/redis/exit-after-close.integration.test.ts: a cache over a Redis that does
 * not answer, closed while its connections wait to reconnect. `SCENARIO` says
 * which Redis and which stores:
 *
 * - `refused`: `REDIS_URL` is a port nothing listens on;
 * - `unknown-host`: `REDIS_URL` names a host that does not resolve;
 * - `killed`: `REDIS_URL` is the test's own redis-server; the child connects,
 *   prints `connected`, and the test SIGKILLs the server;
 * - `tiered-killed`: as `killed`, with a tiered store whose bus subscriber
 *   connection is also live when the server dies;
 * - `closed-while-connecting` / `tiered-closed-while-connecting`: `REDIS_URL`
 *   is a live server; the cache is closed at once, while its connections are
 *   still being set up (node-redis does not abort a socket that is connecting:
 *   without care it comes up after close() and keeps the process alive).
 *
 * Once every connection has failed a reconnection attempt (so each is in its
 * backoff wait), it closes the cache and prints `closed` with the resources
 * still keeping the event loop alive, then, from the 'exit' event, how long
 * the process lived after `close()` resolved.
 */
import { performance } from 'node:perf_hooks';
import type { LarderError } from '../core/errors.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/index.js';
import { tieredStore } from '../stores/tiered/index.js';

const scenario = process.env.SCENARIO ?? 'refused';
// A wait of 5–10 s after each failed attempt: a close() that does not cut the
// wait short keeps the process seconds past it, which no loaded machine explains.
const reconnect = { initialDelay: 10_000, maxDelay: 10_000 };

let failures = 0;
let onFailure = (): void => {};
const onConnectionError = (error: LarderError): void => {
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  // A refused or unresolved attempt: the connection is now waiting to retry.
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    failures++;
    onFailure();
  }
};
function failed(times: number): Promise<void> {
  return new Promise((resolve) => {
    onFailure = () => {
      if (failures >= times) resolve();
    };
    onFailure();
  });
}

const redis = redisStore({ url: process.env.REDIS_URL, reconnect, onConnectionError });
const tiered = scenario.startsWith('tiered-') ? tieredStore({ l2: redis }) : undefined;
const cache = createCache({ store: tiered ?? redis, logger: { warn: () => {} } });

let connections = 1;
if (scenario === 'killed' || scenario === 'tiered-killed') {
  await (tiered ?? redis).ready();
  await cache.set('k', 'v');
  if (tiered !== undefined) connections = 2; // the store's and the bus subscriber's
  console.log('connected');
}
if (!scenario.endsWith('closed-while-connecting')) {
  await failed(connections);
  // A read while down fails fast (a miss under the default policy).
  await cache.get('k');
}
await cache.close();
const closedAt = performance.now();
console.log(`closed ${JSON.stringify(process.getActiveResourcesInfo())}`);
process.on('exit', () => {
  console.log(`exit-after-close-ms=${Math.round(performance.now() - closedAt)}`);
});
