/**
 * getMany / setMany / deleteMany: one store round trip where the store has batch
 * operations, a parallel fallback over the single-key ones where it does not.
 */
import type { LarderCache } from './cache.js';
import { deleteKeys, handleFailure, journalFailure, supersede } from './cache-context.js';
import { currentScope, entryDependence } from './dependency-scope.js';
import { type EntryEncoder, entryEncoder } from './entry-encoding.js';
import { encodeEntry } from './envelope.js';
import type { ResolvedEntry } from './options.js';
import { classifyBytes, countRead } from './read-entry.js';
import type { StoreEntry, StoreHints } from './store.js';

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

/**
 * The keys `get` would hit (stored nulls included), keyed by the user's keys:
 * one round trip where the store has `getMany` and no tier is skipped, then
 * each key classified by the one read path and counted once.
 */
export async function getMany<T>(
  cache: LarderCache,
  keys: Iterable<string>,
  version: number,
  hints: StoreHints | undefined,
): Promise<Map<string, T>> {
  const shared = cache.shared;
  const { store, guard, journal } = shared;
  const byUserKey = await storedKeys(cache, keys, version);
  const found = new Map<string, T>();
  if (byUserKey.size === 0) return found;
  const stored = [...byUserKey.values()];
  // As in readEntry: keys whose invalidation has not reached the store yet are misses.
  const blocked = journal.blocking ? stored.map((key) => journal.blocks(key)) : undefined;
  let values: Array<Uint8Array | null | undefined>;
  try {
    values = await guard.run('getMany', () =>
      // A store's batch read takes no hints: with tiers chosen, read key by key.
      store.getMany === undefined || hints !== undefined
        ? Promise.all(stored.map((key) => store.get(key, hints)))
        : store.getMany(stored),
    );
  } catch (error) {
    handleFailure(shared, 'getMany', error);
    for (let i = 0; i < stored.length; i++) countRead(shared, cache.prefix, 'getMany', 'unavailable');
    return found;
  }
  const scope = currentScope();
  let index = 0;
  for (const userKey of byUserKey.keys()) {
    const pending =
      blocked?.[index] === true ? 'tombstoned' : classifyBytes(shared, values[index], 'getMany');
    index++;
    const reading = pending instanceof Promise ? await pending : pending;
    if (!countRead(shared, cache.prefix, 'getMany', reading)) continue;
    found.set(userKey, reading.value as T);
    // Inside a cached computation, a tagged hit is one of its dependencies.
    if (reading.meta !== undefined) scope?.record(shared.tags.space, entryDependence(reading.meta));
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
      // A store's batch write takes no hints: with tiers chosen, write key by key.
      store.setMany === undefined || entry.hints !== undefined
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
