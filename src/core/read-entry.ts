/**
 * The one read path: read a stored key, verify and decode its bytes, and
 * classify the entry. `get`, `getMany`, `getOrSet`, `has`, `ttl`, `touch` and
 * `incr` all ask here, so they cannot disagree about what a key holds (Django
 * derives `has_key` from `get` for the same reason). Hits and misses are
 * counted and published here too, once per key and call (`countRead`).
 */

import { decodeStored, handleFailure, type Shared } from './cache-context.js';
import type { MissReason, ReadOperation } from './channel-payloads.js';
import { entryState, type PrefetchedGenerations } from './entry-state.js';
import type { DecodedEntry } from './envelope.js';
import { channels } from './events.js';
import type { MaybePromise, StoreHints } from './store.js';

/**
 * Why a read found nothing to serve:
 * - `absent`: nothing stored (or expired);
 * - `invalid`: a tag was invalidated after the value was computed (or a tag counter is gone);
 * - `corrupt`: the bytes fail their checksum or do not decode (an `E_DECODE` was reported);
 * - `tombstoned`: an invalidation of this key or its tags has not reached the store yet;
 * - `unavailable`: the store could not be asked (the failure was reported).
 */
export type Miss = 'absent' | 'invalid' | 'corrupt' | 'tombstoned' | 'unavailable';

/** An entry past its TTL but within its grace: only `getOrSet` serves it. */
export class Stale {
  readonly entry: DecodedEntry;
  constructor(entry: DecodedEntry) {
    this.entry = entry;
  }
}

/**
 * What a read found: a fresh entry (the decoded entry itself, so a hit
 * allocates nothing), a `Stale` one, or why there is nothing.
 */
export type Reading = DecodedEntry | Stale | Miss;

/** True for a fresh entry, which every reader may serve. */
export function isFresh(reading: Reading): reading is DecodedEntry {
  return typeof reading !== 'string' && !(reading instanceof Stale);
}

/** What a store read gave: bytes (or nothing), or why it was not asked or failed. */
export type Stored = Uint8Array | null | undefined | 'tombstoned' | 'unavailable';

/**
 * Read `storedKey` and classify it. Synchronous when the store and the tag
 * counters answer synchronously (an untagged memory or L1 hit), which spares
 * the hot path its promises. Never rejects for a store failure under
 * `onError: 'degrade'` (it is reported and read as `unavailable`); rejects with
 * it under `'throw'`.
 */
export function readEntry(
  shared: Shared,
  storedKey: string,
  hints: StoreHints | undefined,
  operation: string,
  prefetched?: PrefetchedGenerations,
): MaybePromise<Reading> {
  const stored = readStored(shared, storedKey, hints, operation);
  return stored instanceof Promise
    ? settle(shared, stored, operation, prefetched)
    : classifyBytes(shared, stored, operation, prefetched);
}

/**
 * The first half of `readEntry`: ask the store, unless a journaled
 * invalidation covers the key. A synchronous answer is returned as is; an
 * asynchronous one is the store's own promise, which rejects on failure: the
 * caller awaits it, hands a rejection to `failedRead` and the bytes to
 * `classifyBytes`. `get` does so itself, so that a Redis hit costs one await,
 * not two.
 */
export function readStored(
  shared: Shared,
  storedKey: string,
  hints: StoreHints | undefined,
  operation: string,
): Stored | Promise<Uint8Array | null | undefined> {
  const journal = shared.journal;
  if (journal.blocking && journal.blocks(storedKey)) return 'tombstoned';
  try {
    return shared.guard.get(storedKey, hints);
  } catch (error) {
    return failedRead(shared, operation, error);
  }
}

/** A store read failed: report it (rethrown under `onError: 'throw'`) and read as `unavailable`. */
export function failedRead(shared: Shared, operation: string, error: unknown): 'unavailable' {
  handleFailure(shared, operation, error);
  return 'unavailable';
}

// An async function rather than then(): no closure per read.
async function settle(
  shared: Shared,
  pending: Promise<Uint8Array | null | undefined>,
  operation: string,
  prefetched: PrefetchedGenerations | undefined,
): Promise<Reading> {
  let bytes: Stored;
  try {
    bytes = await pending;
  } catch (error) {
    bytes = failedRead(shared, operation, error);
  }
  return classifyBytes(shared, bytes, operation, prefetched);
}

/**
 * `readEntry` for the counting operations, which have no value to degrade to:
 * a store failure rejects, unreported (the caller reports it once), instead of
 * reading as `unavailable`.
 */
export async function readEntryOrThrow(
  shared: Shared,
  storedKey: string,
  operation: string,
): Promise<Exclude<Reading, 'unavailable'>> {
  const journal = shared.journal;
  if (journal.blocking && journal.blocks(storedKey)) return 'tombstoned';
  const bytes = await shared.guard.get(storedKey, undefined);
  return classifyBytes(shared, bytes, operation) as MaybePromise<Exclude<Reading, 'unavailable'>>;
}

/**
 * Classify what a read gave (getMany reads many keys in one round trip; its
 * caller checks the journal's tombstones for each key itself).
 */
export function classifyBytes(
  shared: Shared,
  bytes: Stored,
  operation: string,
  prefetched?: PrefetchedGenerations,
): MaybePromise<Reading> {
  if (bytes == null) return 'absent';
  if (typeof bytes === 'string') return bytes;
  const entry = decodeStored(shared, bytes, operation);
  if (entry === undefined) return 'corrupt';
  // The hot path: no grace, no tags, nothing more to ask.
  return entry.meta === undefined ? entry : classifyMeta(shared, entry, prefetched);
}

/** An entry with meta: past its staleAt, or invalidated through one of its tags? */
function classifyMeta(
  shared: Shared,
  entry: DecodedEntry,
  prefetched: PrefetchedGenerations | undefined,
): MaybePromise<Reading> {
  const state = entryState(shared, entry, shared.options.clock.now(), prefetched);
  if (!(state instanceof Promise))
    return state === 'fresh' ? entry : state === 'stale' ? new Stale(entry) : 'invalid';
  return state.then((settled) =>
    settled === 'fresh' ? entry : settled === 'stale' ? new Stale(entry) : 'invalid',
  );
}

function missReason(reading: Stale | Miss): MissReason {
  if (reading instanceof Stale) return 'stale';
  return reading === 'tombstoned' || reading === 'invalid' ? 'invalidated' : reading;
}

/**
 * Count one read of one key as a hit (fresh) or a miss (anything else, stale
 * included: it is not served as current), and publish `larder:hit` /
 * `larder:miss` (payloads carry the cache's prefix and the operation, never
 * the key). Called once per key by every method that reads a value; true
 * for a hit.
 */
export function countRead(
  shared: Shared,
  prefix: string,
  operation: ReadOperation,
  reading: Reading,
): reading is DecodedEntry {
  if (isFresh(reading)) {
    shared.counters.hits++;
    if (channels.hit.hasSubscribers) channels.hit.publish({ prefix, operation });
    return true;
  }
  shared.counters.misses++;
  if (channels.miss.hasSubscribers) channels.miss.publish({ prefix, operation, reason: missReason(reading) });
  return false;
}
