/**
 * `all`, `length` and `clear` of a session store. Cache only: the cache's keys
 * under `sess:` are listed with SCAN (never KEYS), a page at a time, on a
 * standalone Redis, a tiered store or the memory store (Redis Cluster needs a
 * SCAN per primary: issue 15). `cached_db`: the table answers, in pages.
 *
 * Sessions are listed by their store key (a keyed hash), never by id: the
 * store does not know ids, which is the point of hashing them.
 */
import { scanKeys } from '../core/scan-keys.js';
import type { SessionEngine, SessionObject } from './session-engine.js';

/** The prefix every session key starts with (see session-key.ts). */
const SESSION_PREFIX = 'sess:';
const PAGE = 500;

/** Every live session, keyed by its store key (never its id). */
export async function allSessions(engine: SessionEngine): Promise<Record<string, SessionObject>> {
  const sessions: Record<string, SessionObject> = {};
  const table = engine.table;
  if (table !== undefined) {
    for await (const rows of table.scan(PAGE))
      for (const row of rows) {
        const record = engine.decode(row.key, row.record);
        if (typeof record !== 'string') sessions[row.key] = { ...record.fields, cookie: record.cookie };
      }
    return sessions;
  }
  const { cache } = engine.options;
  for await (const keys of scanKeys(cache, SESSION_PREFIX)) {
    const values = await cache.getMany<unknown>(keys);
    for (const [key, value] of values) {
      const record = engine.decode(key, value);
      if (typeof record !== 'string') sessions[key] = { ...record.fields, cookie: record.cookie };
    }
  }
  return sessions;
}

/** How many live sessions there are. */
export async function countSessions(engine: SessionEngine): Promise<number> {
  const table = engine.table;
  if (table !== undefined) return table.count();
  return Object.keys(await allSessions(engine)).length;
}

/**
 * Delete every session: the table's rows (`cached_db`), then the cache's
 * copies and tombstones, a page at a time.
 */
export async function clearSessions(engine: SessionEngine): Promise<void> {
  const table = engine.table;
  if (table !== undefined) await table.clear();
  const { cache } = engine.options;
  for await (const keys of scanKeys(cache, SESSION_PREFIX)) await cache.deleteMany(keys);
}
