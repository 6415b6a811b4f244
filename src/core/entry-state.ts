/**
 * Whether a decoded entry may be served: fresh, stale (past its TTL but within
 * its grace, which only `getOrSet` serves), or invalid (a tag was invalidated
 * after the value was computed, or a tag's counter is gone).
 */
import type { Shared } from './cache-context.js';
import type { DecodedEntry } from './envelope.js';
import type { MaybePromise } from './store.js';
import { unchanged } from './tag-generations.js';

/** What a reader may do with an entry. */
export type EntryState = 'fresh' | 'stale' | 'invalid';

/** Generations as read, `undefined` when the counters could not be read. */
type ReadGenerations = ReadonlyArray<number | undefined> | undefined;

/**
 * Tag generations read ahead, in the same round trip as the entry itself
 * (getOrSet knows its tags before it reads). Never rejects: `undefined` when
 * the counters could not be read. Already a value when the store answered
 * synchronously (counters in an L1).
 */
export interface PrefetchedGenerations {
  readonly tags: readonly string[];
  readonly generations: MaybePromise<ReadGenerations>;
}

const unreadable = (): undefined => undefined;

/** Start reading `tags`' generations now, for `entryState` and a fill's snapshot. */
export function prefetchGenerations(shared: Shared, tags: readonly string[]): PrefetchedGenerations {
  let generations: MaybePromise<ReadGenerations>;
  try {
    const read = shared.tags.read(tags);
    generations = read instanceof Promise ? read.catch(unreadable) : read;
  } catch {
    generations = undefined;
  }
  return { tags, generations };
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}

/**
 * The state of `entry` at `now`. Synchronous for entries without tags (the hot
 * path); a promise when tag generations must be read.
 */
export function entryState(
  shared: Shared,
  entry: DecodedEntry,
  now: number,
  prefetched?: PrefetchedGenerations,
): EntryState | Promise<EntryState> {
  const meta = entry.meta;
  if (meta === undefined) return 'fresh';
  const timeState: EntryState = meta.staleAt !== undefined && now >= meta.staleAt ? 'stale' : 'fresh';
  const tags = meta.tags;
  if (tags === undefined || tags.length === 0) return timeState;
  // An invalidation this process made but could not store yet still counts.
  if (shared.journal.blocking && shared.journal.blocksTags(tags)) return 'invalid';
  const recorded = meta.generations ?? [];
  if (prefetched !== undefined && sameTags(tags, prefetched.tags)) {
    const current = prefetched.generations;
    if (!(current instanceof Promise)) return unchanged(current, recorded) ? timeState : 'invalid';
    return current.then((settled) => (unchanged(settled, recorded) ? timeState : 'invalid'));
  }
  return shared.tags.current(tags, recorded).then(
    (valid) => (valid ? timeState : 'invalid'),
    // The counters cannot be read: an entry that cannot be shown valid is not served.
    () => 'invalid',
  );
}
