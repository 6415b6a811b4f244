/**
 * One "process" of the stampede tests: a cache on Redis whose callers all ask
 * for one cold key at once. The factory counts its calls in Redis (INCR), so the
 * test can add them up across processes.
 *
 * Env: REDIS_URL, PREFIX, COUNT_KEY, CALLERS, FACTORY_MS, LOCK ('true'/'false'),
 * LEASE_TTL_MS, HANG ('true': the factory never returns, for the killed-holder test).
 * Messages: → ready; ← go; → in-factory (when HANG); → done { values, errors, elapsedMs, stats }.
 */
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/index.js';

const env = process.env;
const callers = Number(env.CALLERS ?? 1000);
const factoryMs = Number(env.FACTORY_MS ?? 50);
const hang = env.HANG === 'true';
const countKey = env.COUNT_KEY ?? 'count';
const store = redisStore({ url: env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
const cache = createCache({
  store,
  prefix: env.PREFIX ?? 'stampede',
  lock: { ttl: Number(env.LEASE_TTL_MS ?? 10_000), wait: 20_000 },
  timeout: { hard: 15_000 },
});
const send = (message: object) => process.send?.(message);

await store.ready();
process.on('message', async (message: { type: string }) => {
  if (message.type !== 'go') return;
  const startedAt = performance.now();
  const factory = async () => {
    await store.client.sendCommand(['INCR', countKey]);
    if (hang) {
      send({ type: 'in-factory' });
      await new Promise(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, factoryMs));
    return { computedBy: process.pid };
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: callers }, () => cache.getOrSet('hot', factory, { lock: env.LOCK !== 'false' })),
  );
  const values = new Set<number>();
  const errors: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') values.add(outcome.value.computedBy);
    else errors.push(String(outcome.reason));
  }
  send({
    type: 'done',
    values: [...values],
    errors: errors.slice(0, 5),
    errorCount: errors.length,
    elapsedMs: performance.now() - startedAt,
    stats: cache.stats(),
  });
  await cache.close();
  process.exit(0);
});
send({ type: 'ready' });
