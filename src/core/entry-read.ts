/**
 * How getOrSet reads a key: one store read per key shared by the calls that
 * arrive while it is in flight, with the tag generations of a tagged call read
 * in the same round trip, classified by the one read path (read-entry.ts).
 */
import type { Shared } from './cache-context.js';
import { type PrefetchedGenerations, prefetchGenerations } from './entry-state.js';
import type { ResolvedGetOrSet } from './options.js';
import { type Reading, readEntry } from './read-entry.js';
import type { MaybePromise } from './store.js';

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
  const reading = readEntry(shared, storedKey, hints, 'getOrSet', prefetched);
  // Answered synchronously (an L1 hit): nothing is in flight for others to share.
  if (!(reading instanceof Promise)) return { reading, prefetched };
  const read: Promise<Read> = reading.then((settled) => ({ reading: settled, prefetched }));
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
  readonly reading: Reading;
  readonly prefetched: PrefetchedGenerations | undefined;
}
