/**
 * `ttl` and `touch`: how long `get` will keep hitting a key, and changing it.
 * Both ask the one read path first, so a key that `get` misses (stale,
 * invalidated, corrupt, tombstoned) has no TTL and cannot be touched.
 */
import { handleFailure, type Shared } from './cache-context.js';
import { type DecodedEntry, encodeEntry } from './envelope.js';
import { LarderError } from './errors.js';
import { isFresh, readEntry } from './read-entry.js';
import type { StoreTtlMs } from './store.js';

/**
 * Milliseconds until `get` stops hitting `storedKey`: until its grace begins
 * for an entry with grace (the store keeps it longer, for getOrSet), else the
 * store's TTL. `null` never expires; `undefined` where `get` misses.
 */
export async function entryTtl(shared: Shared, storedKey: string): Promise<number | null | undefined> {
  const { store, guard } = shared;
  if (store.ttl === undefined) throw new LarderError('E_STORE', `the ${store.name} store cannot report TTLs`);
  const reading = await readEntry(shared, storedKey, undefined, 'ttl');
  if (!isFresh(reading)) return undefined;
  const staleAt = reading.meta?.staleAt;
  if (staleAt !== undefined) return Math.max(1, staleAt - shared.options.clock.now());
  try {
    return await guard.run('ttl', () => store.ttl?.(storedKey));
  } catch (error) {
    handleFailure(shared, 'ttl', error);
    return undefined;
  }
}

/**
 * Give `storedKey` a new TTL if `get` would hit it; resolves whether it did.
 * An entry whose bytes record when it turns stale (grace, getOrSet's early
 * refresh) is rewritten with the new instant, keeping its grace period: a
 * read then a write, so a `set` landing between them is overwritten by the
 * touched value (the store's own touch cannot change the bytes).
 */
export async function touchEntry(shared: Shared, storedKey: string, ttlMs: StoreTtlMs): Promise<boolean> {
  const reading = await readEntry(shared, storedKey, undefined, 'touch');
  if (!isFresh(reading)) return false;
  const { store, guard } = shared;
  try {
    if (reading.meta?.staleAt !== undefined) return await rewrite(shared, storedKey, reading, ttlMs);
    if (store.touch !== undefined)
      return await guard.run('touch', () => store.touch?.(storedKey, ttlMs) ?? false);
    const bytes = encodeEntry(reading.value, shared.options.codec, reading.meta);
    await guard.run('touch', () => store.set(storedKey, bytes, ttlMs));
    return true;
  } catch (error) {
    handleFailure(shared, 'touch', error);
    return false;
  }
}

async function rewrite(
  shared: Shared,
  storedKey: string,
  entry: DecodedEntry,
  ttlMs: StoreTtlMs,
): Promise<boolean> {
  const { store, guard, options } = shared;
  const meta = entry.meta;
  const staleAt = meta?.staleAt;
  if (meta === undefined || staleAt === undefined) return false;
  const now = options.clock.now();
  // The grace the entry was written with: what the store keeps past staleAt.
  const leftMs = store.ttl === undefined ? undefined : await guard.run('touch', () => store.ttl?.(storedKey));
  if (leftMs === undefined && store.ttl !== undefined) return false; // gone meanwhile
  const graceMs =
    typeof leftMs === 'number' ? Math.max(0, leftMs - (staleAt - now)) : options.defaultEntry.graceMs;
  const bytes = encodeEntry(entry.value, options.codec, {
    ...meta,
    staleAt: ttlMs === null ? undefined : now + ttlMs,
  });
  await guard.run('touch', () => store.set(storedKey, bytes, ttlMs === null ? null : ttlMs + graceMs));
  return true;
}
