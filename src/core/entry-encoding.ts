/**
 * Encoding entries for `set`, `add` and `setMany`: the value, plus meta when
 * the entry has a grace period (when it turns stale) or tags (their
 * generations, read once per call, before anything is stored). Entries with
 * neither carry no meta.
 */
import type { Shared } from './cache-context.js';
import { mergeDependence, type Recorded } from './dependency-scope.js';
import { type EntryMeta, encodeEntry } from './envelope.js';
import { LarderError } from './errors.js';
import type { ResolvedEntry } from './options.js';

/** Bytes to store and the TTL the store gets (TTL plus grace). */
export interface EncodedEntry {
  readonly bytes: Uint8Array;
  readonly ttlMs: number | null;
}

/** Encodes values for one call. Throws `E_SERIALIZE`. */
export type EntryEncoder = (value: unknown) => EncodedEntry;

/**
 * An encoder for the entries of one call. Synchronous without tags; with tags
 * a promise, which rejects when the generations cannot be read (nothing may be
 * stored then: an entry without its generations could never be invalidated).
 * `collected`: dependencies `set` was given, stored with the generations they
 * were collected under (not current ones: the entry is born invalid if a
 * counter moved since).
 */
export function entryEncoder(
  shared: Shared,
  entry: ResolvedEntry,
  collected?: Recorded,
): EntryEncoder | Promise<EntryEncoder> {
  const { codec, clock } = shared.options;
  const ttlMs = entry.ttlMs;
  const tags = entry.tags;
  const dependent = collected !== undefined && collected.tags.length > 0;
  if (tags === undefined && !dependent && (entry.graceMs === 0 || ttlMs === null))
    return (value) => ({ bytes: encodeEntry(value, codec), ttlMs });
  const storeTtlMs = ttlMs === null ? null : ttlMs + entry.graceMs;
  const withMeta =
    (extra: Partial<EntryMeta>): EntryEncoder =>
    (value) => {
      const createdAt = clock.now();
      const staleAt = ttlMs === null ? undefined : createdAt + ttlMs;
      return { bytes: encodeEntry(value, codec, { createdAt, staleAt, ...extra }), ttlMs: storeTtlMs };
    };
  // The collected counters must outlive the entry too (in the background: a
  // counter that expires early only makes the entry a miss).
  if (dependent) shared.work.track(shared.tags.keep(collected.tags, storeTtlMs));
  if (tags === undefined) return withMeta(dependent ? collected : {});
  // Extending the counters alongside the read costs no extra round trip; the
  // write follows at once, so the counters outlive it by the margin.
  const keeping = shared.tags.keep(tags, storeTtlMs);
  return Promise.all([shared.tags.snapshot(tags, storeTtlMs), keeping]).then(([generations]) => {
    if (generations === undefined)
      throw new LarderError('E_STORE', 'a tag generation counter vanished while it was being created');
    const own = { tags, generations };
    return withMeta(dependent ? mergeDependence(own, collected) : own);
  });
}
