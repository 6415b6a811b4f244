/**
 * How `getOrSet` stores what a factory computed: the entry's meta (none for
 * a plain integer, stored as raw digits), the TTL the store
 * gets, the counters it depends on kept alive, and the write itself — an add
 * where the key was absent, so a writer that stored meanwhile wins.
 */
import type { LarderCache } from './cache.js';
import { handleFailure, type Shared } from './cache-context.js';
import type { Recorded } from './dependency-scope.js';
import { type DecodedEntry, type EntryMeta, isRawInteger } from './envelope.js';
import type { ResolvedGetOrSet } from './options.js';
import { isFresh, readEntry } from './read-entry.js';
import type { StoreHints } from './store.js';

/** What another writer stored first: its entry, when it was read (`readWinner`). */
export interface Winner {
  readonly value: unknown;
  readonly entry: DecodedEntry | undefined;
}

/** `writeFill` without `readWinner`: another writer stored first, and its value was not read. */
const UNREAD_WINNER: Winner = Object.freeze({ value: undefined, entry: undefined });

/**
 * Resolves two event-loop turns from now: after the microtasks of everyone
 * awaiting this tick's values, and after the writes those callers queued
 * meanwhile. Redis clients flush queued commands from a setImmediate of their
 * own (node-redis does); one queued after ours would otherwise wait for the
 * encoding we defer, and a caller's next lookup would pay for this one's store.
 */
export const afterCallersWrites = (): Promise<void> =>
  new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * The meta a computed entry is stored with; none for an integer with neither
 * grace nor tags, which is stored as raw digits, as set() stores it, so
 * incr/decr work on it (Django's get_or_set + incr); it gives up only early
 * refresh, whose compute time would need meta. `recorded`: its own tags and
 * the collected ones, each with the generation read before its data.
 */
export function fillMeta(
  call: ResolvedGetOrSet,
  value: unknown,
  recorded: Recorded | undefined,
  startedAt: number,
  createdAt: number,
): EntryMeta | undefined {
  const ttlMs = call.ttlMs;
  const tagged = recorded !== undefined && recorded.tags.length > 0;
  if (isRawInteger(value) && !tagged && call.graceMs === 0) return undefined;
  return {
    createdAt,
    staleAt: ttlMs === null ? undefined : createdAt + ttlMs,
    computeMs: createdAt - startedAt,
    tags: tagged ? recorded.tags : undefined,
    generations: tagged ? recorded.generations : undefined,
  };
}

/** The TTL the store gets for an entry: its TTL plus grace, or `null` for forever. */
export function storeTtl(call: ResolvedGetOrSet): number | null {
  return call.ttlMs === null ? null : call.ttlMs + call.graceMs;
}

/** Extend the tag and namespace counters an entry stored for `storeTtlMs` depends on; never rejects. */
export function keepCounters(
  shared: Shared,
  cache: LarderCache,
  tags: readonly string[] | undefined,
  storeTtlMs: number | null,
): Promise<unknown> {
  return Promise.all([
    tags === undefined ? undefined : shared.tags.keep(tags, storeTtlMs),
    cache.keepScope(storeTtlMs),
  ]);
}

/**
 * Store a computed entry: `add` where the key was absent (a writer that stored
 * meanwhile wins, as in Django, and its value is returned unless `readWinner`
 * is false), `set` over a stale entry. Store failures follow the error policy.
 */
export async function writeFill(
  shared: Shared,
  storedKey: string,
  bytes: Uint8Array,
  ttlMs: number | null,
  hints: StoreHints | undefined,
  absent: boolean,
  readWinner = true,
): Promise<Winner | undefined> {
  const { store, guard } = shared;
  try {
    if (!absent) {
      await guard.run('getOrSet', () => store.set(storedKey, bytes, ttlMs, hints));
      shared.counters.sets++;
      return undefined;
    }
    const result = await guard.run('getOrSet', () => store.add(storedKey, bytes, ttlMs, hints));
    if (result === 'stored') {
      shared.counters.sets++;
      return undefined;
    }
    if (!readWinner) return result === 'exists' ? UNREAD_WINNER : undefined;
    const theirs = await readEntry(shared, storedKey, hints, 'getOrSet');
    return isFresh(theirs) ? { value: theirs.value, entry: theirs } : undefined;
  } catch (error) {
    handleFailure(shared, 'getOrSet', error);
    return undefined;
  }
}
