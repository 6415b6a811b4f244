/**
 * Whether a decoded entry may be served: fresh, stale (past its TTL but within
 * its grace, which only `getOrSet` serves), or invalid (a tag was invalidated
 * after the value was computed, or a tag's counter is gone).
 */
import type { Shared } from './cache-context.js';
import type { DecodedEntry } from './envelope.js';

/** What a reader may do with an entry. */
export type EntryState = 'fresh' | 'stale' | 'invalid';

/**
 * Tag generations read ahead, in the same round trip as the entry itself
 * (getOrSet knows its tags before it reads). Never rejects: `undefined` when
 * the counters could not be read.
 */
export interface PrefetchedGenerations {
  readonly tags: readonly string[];
  readonly generations: Promise<ReadonlyArray<number | undefined> | undefined>;
}

/** Start reading `tags`' generations now, for `entryState` and a fill's snapshot. */
export function prefetchGenerations(shared: Shared, tags: readonly string[]): PrefetchedGenerations {
  return {
    tags,
    generations: shared.tags.read(tags).then(
      (generations) => generations,
      () => undefined,
    ),
  };
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
  if (shared.invalidator.anyPending(tags)) return 'invalid';
  const recorded = meta.generations ?? [];
  if (prefetched !== undefined && sameTags(tags, prefetched.tags)) {
    return prefetched.generations.then((current) =>
      current?.every((generation, i) => generation !== undefined && generation === recorded[i])
        ? timeState
        : 'invalid',
    );
  }
  return shared.tags.current(tags, recorded).then(
    (valid) => (valid ? timeState : 'invalid'),
    // The counters cannot be read: an entry that cannot be shown valid is not served.
    () => 'invalid',
  );
}
