/**
 * Compliance-suite harnesses for two stores that write the whole session back:
 * express-session's own MemoryStore and connect-redis (on the shared Redis,
 * under a prefix of its own whose keys `close` removes with SCAN + DEL). The
 * suite's race cases must fail on them; the session benchmark compares with them.
 */
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import type { SessionCorruption, SessionStoreHarness } from '../testing/index.js';
import { redisUrl, uniquePrefix } from './env.js';

/** The bytes a JSON session store would hold after `corruption` (express-session's own format). */
function corruptJson(corruption: SessionCorruption, foreignBytes: string | undefined): string {
  switch (corruption.kind) {
    case 'malformed':
      return '{"cookie":{"originalMaxAge":null,"httpOnly":tr';
    case 'wrong-shape':
      return JSON.stringify(['not', 'a', 'session']);
    case 'oversized':
      return JSON.stringify({
        cookie: { originalMaxAge: null, httpOnly: true, path: '/' },
        owner: 'oversized',
        padding: 'x'.repeat(corruption.bytes),
      });
    case 'foreign':
      if (foreignBytes === undefined)
        throw new Error(`no stored session ${corruption.fromSessionId} to copy`);
      return foreignBytes;
  }
}

/** Milliseconds left of a stored JSON session by its cookie's `expires`; Infinity without one. */
function msLeftByCookie(json: string): number {
  const expires = (JSON.parse(json) as { cookie?: { expires?: string | null } }).cookie?.expires;
  return expires == null ? Number.POSITIVE_INFINITY : new Date(expires).getTime() - Date.now();
}

/** express-session's MemoryStore: sessions as JSON strings in its `sessions` object. */
export function memoryStoreHarness(): SessionStoreHarness {
  let latest: { sessions: Record<string, string> } | undefined;
  const sessionsOf = () => {
    if (latest === undefined) throw new Error('no MemoryStore made yet');
    return latest.sessions;
  };
  return {
    name: 'express-session MemoryStore',
    makeStore() {
      const store = new session.MemoryStore();
      latest = store as unknown as { sessions: Record<string, string> };
      return store;
    },
    async corrupt(sessionId, corruption) {
      const sessions = sessionsOf();
      const from = corruption.kind === 'foreign' ? sessions[corruption.fromSessionId] : undefined;
      sessions[sessionId] = corruptJson(corruption, from);
    },
    async ttlOf(sessionId) {
      // MemoryStore has no expiry of its own: a session lives until its cookie's `expires`.
      const json = sessionsOf()[sessionId];
      return json === undefined ? undefined : msLeftByCookie(json);
    },
  };
}

/** connect-redis 9 over a node-redis client, keys `<unique prefix>:<session id>`. */
export function connectRedisHarness(): SessionStoreHarness {
  const prefix = `${uniquePrefix('session-compliance')}:`;
  const client = createClient({ url: redisUrl() });
  let connected: Promise<unknown> | undefined;
  const ready = async () => {
    connected ??= client.connect();
    await connected;
  };
  return {
    name: 'connect-redis 9',
    async makeStore() {
      await ready();
      return new RedisStore({ client, prefix });
    },
    async corrupt(sessionId, corruption) {
      await ready();
      const from =
        corruption.kind === 'foreign'
          ? ((await client.get(prefix + corruption.fromSessionId)) ?? undefined)
          : undefined;
      await client.set(prefix + sessionId, corruptJson(corruption, from), {
        expiration: { type: 'EX', value: 600 },
      });
    },
    async ttlOf(sessionId) {
      await ready();
      const ms = await client.pTTL(prefix + sessionId);
      if (ms === -2) return undefined;
      return ms === -1 ? Number.POSITIVE_INFINITY : ms;
    },
    async close() {
      if (connected === undefined) return;
      await connected;
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        if (keys.length > 0) await client.del(keys);
      await client.close();
    },
  };
}
