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
 * The state of `entry` at `now`. Synchronous for entries without tags (the hot
 * path); a promise when tag generations must be read.
 */
export function entryState(
  shared: Shared,
  entry: DecodedEntry,
  now: number,
): EntryState | Promise<EntryState> {
  const meta = entry.meta;
  if (meta === undefined) return 'fresh';
  const timeState: EntryState = meta.staleAt !== undefined && now >= meta.staleAt ? 'stale' : 'fresh';
  const tags = meta.tags;
  if (tags === undefined || tags.length === 0) return timeState;
  // An invalidation this process made but could not store yet still counts.
  if (shared.invalidator.anyPending(tags)) return 'invalid';
  return shared.tags.current(tags, meta.generations ?? []).then(
    (valid) => (valid ? timeState : 'invalid'),
    // The counters cannot be read: an entry that cannot be shown valid is not served.
    () => 'invalid',
  );
}
