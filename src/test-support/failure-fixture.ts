/**
 * The fixture of the Redis failure tests: a private `redis-server` to kill or
 * freeze, a cache over it with a short timeout and a quick breaker, and a record
 * of unhandled rejections (there must be none).
 */
import { after, before } from 'node:test';
import type { Cache, CacheOptions } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { type RedisStore, redisStore } from '../stores/redis/redis-store.js';
import { uniquePrefix } from './env.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** The operation timeout of the failure tests. */
export const TIMEOUT_MS = 100;
/**
 * Event-loop and timer slack on a loaded 2-core machine, where CI shares the
 * cores with everything else: 190 ms calls were seen under load. Generous on
 * purpose — timing claims belong in benchmarks — and still sharp enough: without
 * the deadline a frozen Redis holds a call for node-redis's 5 s default, or
 * forever.
 */
export const SLACK_MS = 1_000;

/** Register before/after hooks in the current `describe` and return the fixture. */
export function failureFixture(label: string) {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  let server: RedisServer | undefined;
  let store: RedisStore | undefined;

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedisServer();
  });

  after(async () => {
    await store?.close();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  const current = (): RedisServer => {
    if (server === undefined) throw new Error('failureFixture: the server starts in a before() hook');
    return server;
  };

  return {
    unhandled,
    /** The private server (available once the `before` hook ran). */
    server: current,
    makeCache(onError: NonNullable<CacheOptions['onError']>): { cache: Cache; store: RedisStore } {
      store = redisStore({ url: current().url, reconnect: { initialDelay: 20, maxDelay: 200 } });
      const cache = createCache({
        store,
        prefix: uniquePrefix(label),
        storeTimeout: TIMEOUT_MS,
        breaker: { failureThreshold: 5, halfOpenAfter: 250 },
        onError,
        logger: { warn: () => {} },
      });
      return { cache, store };
    },
  };
}
