/**
 * getMany / setMany / deleteMany: one store round trip where the store has batch
 * operations, a parallel fallback over the single-key ones where it does not.
 */
import type { LarderCache } from './cache.js';
import { decodeStored, deleteKeys, handleFailure, journalFailure, supersede } from './cache-context.js';
import { type EntryEncoder, entryEncoder } from './entry-encoding.js';
import { entryState } from './entry-state.js';
import { encodeEntry } from './envelope.js';
import type { ResolvedEntry } from './options.js';
import type { StoreEntry } from './store.js';

type Entries =
  | ReadonlyMap<string, unknown>
  | Readonly<Record<string, unknown>>
  | Iterable<readonly [string, unknown]>;

async function storedKeys(
  cache: LarderCache,
  keys: Iterable<string>,
  version: number,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of keys) if (!out.has(key)) out.set(key, await cache.storedKey(key, version));
  return out;
}

/** The present keys only (stored nulls included), keyed by the user's keys. */
export async function getMany<T>(
  cache: LarderCache,
  keys: Iterable<string>,
  version: number,
): Promise<Map<string, T>> {
  const { store, guard, counters, journal } = cache.shared;
  const byUserKey = await storedKeys(cache, keys, version);
  const found = new Map<string, T>();
  if (byUserKey.size === 0) return found;
  const stored = [...byUserKey.values()];
  // Keys whose invalidation has not reached the store yet read as misses.
  const blocked = journal.blocking ? stored.map((key) => journal.blocks(key)) : undefined;
  let values: Array<Uint8Array | null | undefined>;
  try {
    values = await guard.run('getMany', () =>
      store.getMany === undefined ? Promise.all(stored.map((key) => store.get(key))) : store.getMany(stored),
    );
  } catch (error) {
    handleFailure(cache.shared, 'getMany', error);
    counters.misses += stored.length;
    return found;
  }
  let index = 0;
  const now = cache.shared.options.clock.now();
  for (const userKey of byUserKey.keys()) {
    const bytes = blocked?.[index] === true ? undefined : values[index];
    index++;
    let entry = bytes == null ? undefined : decodeStored(cache.shared, bytes, 'getMany');
    if (entry?.meta !== undefined) {
      // Grace or tags: only fresh, valid entries are hits.
      const state = entryState(cache.shared, entry, now);
      if ((state instanceof Promise ? await state : state) !== 'fresh') entry = undefined;
    }
    if (entry === undefined) {
      counters.misses++;
    } else {
      counters.hits++;
      found.set(userKey, entry.value as T);
    }
  }
  return found;
}

function toPairs(entries: Entries): Iterable<readonly [string, unknown]> {
  if (entries instanceof Map) return entries;
  if (Symbol.iterator in entries) return entries as Iterable<readonly [string, unknown]>;
  return Object.entries(entries);
}

/**
 * Store many values; resolves the user keys that were not stored. Every value is
 * serialized before anything is written, so one unserializable value throws and
 * stores nothing.
 */
export async function setMany(cache: LarderCache, entries: Entries, entry: ResolvedEntry): Promise<string[]> {
  const { store, guard, counters, options } = cache.shared;
  const pairs = [...toPairs(entries)];
  if (pairs.length === 0) return [];
  const userKeys: string[] = [];
  const storedKeys: string[] = [];
  for (const [key] of pairs) {
    userKeys.push(key);
    storedKeys.push(await cache.storedKey(key, entry.version));
  }
  if (entry.ttlMs === 0) {
    for (const [, value] of pairs) encodeEntry(value, options.codec); // refuse the unserializable
    await deleteStored(cache, storedKeys);
    return [];
  }
  let encode: EntryEncoder;
  try {
    encode = await entryEncoder(cache.shared, entry);
  } catch (error) {
    // As for set: the old values must not outlive this write.
    journalFailure(cache.shared, 'setMany', error, (journal) => journal.recordKeys(storedKeys));
    return userKeys;
  }
  for (const key of storedKeys) supersede(cache.shared, key);
  const batch: StoreEntry[] = pairs.map(([, value], i) => {
    const { bytes, ttlMs } = encode(value);
    return { key: storedKeys[i] as string, value: bytes, ttlMs };
  });
  try {
    const results = await guard.run('setMany', () =>
      store.setMany === undefined
        ? Promise.all(
            batch.map(async (e) => {
              await store.set(e.key, e.value, e.ttlMs, entry.hints);
              return true;
            }),
          )
        : store.setMany(batch),
    );
    const failed = userKeys.filter((_, i) => results[i] !== true);
    counters.sets += userKeys.length - failed.length;
    return failed;
  } catch (error) {
    // As for set: neither the old values nor these are known to be current.
    journalFailure(cache.shared, 'setMany', error, (journal) => journal.recordKeys(storedKeys));
    return userKeys;
  }
}

/** Remove many keys; resolves how many existed, or `'journaled'`. */
export async function deleteMany(
  cache: LarderCache,
  keys: Iterable<string>,
  version: number,
): Promise<number | 'journaled'> {
  const stored = [...(await storedKeys(cache, keys, version)).values()];
  return stored.length === 0 ? 0 : deleteStored(cache, stored);
}

async function deleteStored(cache: LarderCache, stored: string[]): Promise<number | 'journaled'> {
  const shared = cache.shared;
  for (const key of stored) supersede(shared, key);
  try {
    const count = await shared.invalidationGuard.run('deleteMany', () => deleteKeys(shared.store, stored));
    shared.counters.deletes += count;
    return count;
  } catch (error) {
    return journalFailure(shared, 'deleteMany', error, (journal) => journal.recordKeys(stored));
  }
}
