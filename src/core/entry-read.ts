/**
 * How getOrSet reads a key: one store read per key shared by the calls that
 * arrive while it is in flight, with the tag generations of a tagged call read
 * in the same round trip, and the entry classified as fresh, stale or unusable.
 */
import { decodeStored, handleFailure, type Shared } from './cache-context.js';
import {
  type EntryState,
  entryState,
  type PrefetchedGenerations,
  prefetchGenerations,
} from './entry-state.js';
import type { DecodedEntry } from './envelope.js';
import type { ResolvedGetOrSet } from './options.js';
import type { MaybePromise, StoreHints } from './store.js';

/** A usable entry as read: its value, meta and whether it is past its TTL. */
export interface Found {
  readonly entry: DecodedEntry;
  readonly stale: boolean;
}

/**
 * One store read for all the getOrSet calls on a key that arrive while it is
 * in flight: a thousand callers of a cold key send one GET, not a thousand
 * (which would also crowd the store past its timeout and open the breaker).
 */
export function sharedRead(shared: Shared, storedKey: string, call: ResolvedGetOrSet): MaybePromise<Read> {
  const { hints, tags } = call;
  const running =
    hints === undefined ? (shared.reads.get(storedKey) as Promise<Read> | undefined) : undefined;
  if (running !== undefined) return running;
  // A tagged call reads its tags' generations in the same round trip as the
  // entry: they validate a hit, and they are a fill's snapshot (taken before
  // the factory runs, which is all the race needs).
  const prefetched = tags === undefined ? undefined : prefetchGenerations(shared, tags);
  const usable = readUsable(shared, storedKey, hints, prefetched);
  // Answered synchronously (an L1 hit): nothing is in flight for others to share.
  if (!(usable instanceof Promise)) return { found: usable, prefetched };
  const read: Promise<Read> = usable.then((found) => ({ found, prefetched }));
  if (hints !== undefined) return read;
  shared.reads.set(storedKey, read);
  const done = (): void => {
    if (shared.reads.get(storedKey) === read) shared.reads.delete(storedKey);
  };
  read.then(done, done);
  return read;
}

/** What a getOrSet read found, and the tag generations read with it. */
export interface Read {
  readonly found: Found | typeof UNUSABLE | undefined;
  readonly prefetched: PrefetchedGenerations | undefined;
}

/** An entry that is stored but may not be served (invalidated by a tag, or undecodable). */
export const UNUSABLE: unique symbol = Symbol('unusable');

/**
 * Read `storedKey` and classify it: `undefined` when absent or unreadable,
 * `UNUSABLE` when present but invalid (a fill must then overwrite it, not add).
 * Synchronous when the store and the tag counters answer synchronously (an L1
 * hit), which spares the hot path its promises.
 */
export function readUsable(
  shared: Shared,
  storedKey: string,
  hints: StoreHints | undefined,
  prefetched?: PrefetchedGenerations,
): MaybePromise<Found | typeof UNUSABLE | undefined> {
  const { store, guard, journal } = shared;
  // An invalidation of this key has not reached the store yet: whatever is
  // stored may be superseded, so a fill must overwrite it, not add.
  if (journal.blocking && journal.blocks(storedKey)) return UNUSABLE;
  let result: MaybePromise<Uint8Array | null | undefined>;
  try {
    result = guard.run('get', () => store.get(storedKey, hints));
  } catch (error) {
    handleFailure(shared, 'get', error);
    return undefined;
  }
  if (!(result instanceof Promise)) return classify(shared, result, prefetched);
  return result.then(
    (bytes) => classify(shared, bytes, prefetched),
    (error: unknown) => {
      handleFailure(shared, 'get', error);
      return undefined;
    },
  );
}

function classify(
  shared: Shared,
  bytes: Uint8Array | null | undefined,
  prefetched: PrefetchedGenerations | undefined,
): MaybePromise<Found | typeof UNUSABLE | undefined> {
  if (bytes == null) return undefined;
  const entry = decodeStored(shared, bytes, 'getOrSet');
  if (entry === undefined) return UNUSABLE;
  const state = entryState(shared, entry, shared.options.clock.now(), prefetched);
  return state instanceof Promise ? state.then((settled) => usable(entry, settled)) : usable(entry, state);
}

function usable(entry: DecodedEntry, state: EntryState): Found | typeof UNUSABLE {
  return state === 'invalid' ? UNUSABLE : { entry, stale: state === 'stale' };
}
