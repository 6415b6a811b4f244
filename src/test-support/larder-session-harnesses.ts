/**
 * Compliance-suite harnesses for Larder's own express-session store, on each
 * kind of cache: memory, Redis, tiered (memory L1 + Redis L2) and `cached_db`
 * (Postgres rows, a Redis cache). `corrupt` writes what the suite asks under
 * the session's key (a keyed hash of its id, computed as the store does).
 */
import pg from 'pg';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { checkSessionSecret, sessionKey } from '../session/session-key.js';
import type { SessionStoreOptions } from '../session/session-options.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { redisStore } from '../stores/redis/redis-store.js';
import { tieredStore } from '../stores/tiered/tiered-store.js';
import type { SessionCorruption, SessionStoreHarness } from '../testing/index.js';
import { databaseUrl, redisUrl, uniquePrefix, uniqueSchema } from './env.js';
import { testCaches } from './test-caches.js';

/** The secret every test store uses (≥ 32 bytes). */
export const TEST_SESSION_SECRET = 'larder-test-session-secret-of-32-bytes-or-more';

/** The kinds of cache a Larder session store is tested on. */
export type SessionCacheKind = 'memory' | 'redis' | 'tiered' | 'cached_db';

/** What a stored record becomes under `corruption`. */
async function corruptValue(cache: Cache, corruption: SessionCorruption): Promise<unknown> {
  switch (corruption.kind) {
    case 'malformed':
      return '{"larder":1,"key":"sess:';
    case 'wrong-shape':
      return { not: 'a session record' };
    case 'oversized':
      return JSON.stringify({ larder: 1, padding: 'x'.repeat(corruption.bytes) });
    case 'foreign': {
      const key = sessionKey(corruption.fromSessionId, checkSessionSecret(TEST_SESSION_SECRET));
      return key === undefined ? undefined : cache.get(key);
    }
  }
}

/** What the harness builds stores with: `LarderSessionStore` (passed in: nothing in src/ may import an adapter). */
export type LarderStoreClass = new (
  options: SessionStoreOptions,
) => Awaited<ReturnType<SessionStoreHarness['makeStore']>> & {
  setup(): Promise<void>;
  on(event: 'error', listener: () => void): unknown;
};

/** A harness for Larder's store on `kind`; `close` removes everything it made. */
export function larderSessionHarness(
  kind: SessionCacheKind,
  LarderSessionStore: LarderStoreClass,
): SessionStoreHarness & { cache(): Promise<Cache> } {
  const caches = testCaches(`session-${kind}`);
  let shared: Promise<{ cache: Cache; pool?: pg.Pool; schema?: string }> | undefined;
  const open = async (): Promise<{ cache: Cache; pool?: pg.Pool; schema?: string }> => {
    switch (kind) {
      case 'memory':
        return { cache: createCache({ store: memoryStore(), prefix: uniquePrefix('session-memory') }) };
      case 'redis':
        return { cache: await caches.newCache() };
      case 'tiered': {
        const prefix = uniquePrefix('session-tiered');
        const l2 = redisStore({ url: redisUrl() });
        await l2.ready?.();
        const store = tieredStore({ l2, channel: `${prefix}bus` });
        return { cache: createCache({ store, prefix, storeTimeout: '2s', logger: { warn: () => {} } }) };
      }
      case 'cached_db': {
        const schema = uniqueSchema('session_db');
        const pool = new pg.Pool({ connectionString: databaseUrl(), max: 8 });
        await pool.query(`CREATE SCHEMA ${schema}`);
        return { cache: await caches.newCache(), pool, schema };
      }
    }
  };
  const ready = () => {
    shared ??= open();
    return shared;
  };
  let setUp: Promise<void> | undefined;
  return {
    name: `Larder (${kind})`,
    cache: async () => (await ready()).cache,
    async makeStore() {
      const { cache, pool, schema } = await ready();
      const store = new LarderSessionStore({
        cache,
        secret: TEST_SESSION_SECRET,
        ...(pool === undefined ? {} : { database: { pool, table: `${schema}.larder_sessions` } }),
      });
      store.on('error', () => {}); // refusals are what some cases provoke
      setUp ??= store.setup();
      await setUp;
      return store;
    },
    async corrupt(sessionId, corruption) {
      const { cache, pool, schema } = await ready();
      const key = sessionKey(sessionId, checkSessionSecret(TEST_SESSION_SECRET));
      if (key === undefined) throw new Error('not a session id');
      const value = await corruptValue(cache, corruption);
      await cache.set(key, value, { ttl: 600 });
      if (pool !== undefined) {
        const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
        await pool.query(`UPDATE ${schema}.larder_sessions SET record = $2 WHERE key = $1`, [key, text]);
      }
    },
    async ttlOf(sessionId) {
      const { cache } = await ready();
      const key = sessionKey(sessionId, checkSessionSecret(TEST_SESSION_SECRET));
      const ms = key === undefined ? undefined : await cache.ttl(key);
      return ms === null ? Number.POSITIVE_INFINITY : ms;
    },
    async close() {
      if (shared === undefined) return;
      const { cache, pool, schema } = await shared;
      if (kind === 'memory' || kind === 'tiered') {
        await cache.clear();
        await cache.close();
      }
      await caches.closeAll();
      if (pool !== undefined) {
        await pool.query(`DROP SCHEMA ${schema} CASCADE`);
        await pool.end();
      }
    },
  };
}
