/**
 * How getOrSet reads a key: one store read per key shared by the calls that
 * arrive while it is in flight, with the tag generations of a tagged call read
 * in the same round trip, and the entry classified as fresh, stale or unusable.
 */
import { decodeStored, handleFailure, type Shared } from './cache-context.js';
import { entryState, type PrefetchedGenerations, prefetchGenerations } from './entry-state.js';
import type { DecodedEntry } from './envelope.js';
import type { ResolvedGetOrSet } from './options.js';
import type { StoreHints } from './store.js';

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
export function sharedRead(shared: Shared, storedKey: string, call: ResolvedGetOrSet): Promise<Read> {
  const { hints, tags } = call;
  const running =
    hints === undefined ? (shared.reads.get(storedKey) as Promise<Read> | undefined) : undefined;
  if (running !== undefined) return running;
  // A tagged call reads its tags' generations in the same round trip as the
  // entry: they validate a hit, and they are a fill's snapshot (taken before
  // the factory runs, which is all the race needs).
  const prefetched = tags === undefined ? undefined : prefetchGenerations(shared, tags);
  const read: Promise<Read> = readUsable(shared, storedKey, hints, prefetched).then((found) => ({
    found,
    prefetched,
  }));
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
 */
export async function readUsable(
  shared: Shared,
  storedKey: string,
  hints: StoreHints | undefined,
  prefetched?: PrefetchedGenerations,
): Promise<Found | typeof UNUSABLE | undefined> {
  const { store, guard } = shared;
  let bytes: Uint8Array | null | undefined;
  try {
    const result = guard.run('get', () => store.get(storedKey, hints));
    bytes = result instanceof Promise ? await result : result;
  } catch (error) {
    handleFailure(shared, 'get', error);
    return undefined;
  }
  if (bytes == null) return undefined;
  const entry = decodeStored(shared, bytes, 'getOrSet');
  if (entry === undefined) return UNUSABLE;
  const pendingState = entryState(shared, entry, shared.options.clock.now(), prefetched);
  const state = pendingState instanceof Promise ? await pendingState : pendingState;
  return state === 'invalid' ? UNUSABLE : { entry, stale: state === 'stale' };
}
