/**
 * Encoding entries for `set`, `add` and `setMany`: the value, plus meta when
 * the entry has a grace period (when it turns stale) or tags (their
 * generations, read once per call, before anything is stored). Entries with
 * neither carry no meta.
 */
import type { Shared } from './cache-context.js';
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
 */
export function entryEncoder(shared: Shared, entry: ResolvedEntry): EntryEncoder | Promise<EntryEncoder> {
  const { codec, clock } = shared.options;
  const ttlMs = entry.ttlMs;
  const tags = entry.tags;
  if (tags === undefined && (entry.graceMs === 0 || ttlMs === null))
    return (value) => ({ bytes: encodeEntry(value, codec), ttlMs });
  const storeTtlMs = ttlMs === null ? null : ttlMs + entry.graceMs;
  const withMeta =
    (extra: Partial<EntryMeta>): EntryEncoder =>
    (value) => {
      const createdAt = clock.now();
      const staleAt = ttlMs === null ? undefined : createdAt + ttlMs;
      return { bytes: encodeEntry(value, codec, { createdAt, staleAt, ...extra }), ttlMs: storeTtlMs };
    };
  if (tags === undefined) return withMeta({});
  // Extending the counters alongside the read costs no extra round trip; the
  // write follows at once, so the counters outlive it by the margin.
  const keeping = shared.tags.keep(tags, storeTtlMs);
  return Promise.all([shared.tags.snapshot(tags, storeTtlMs), keeping]).then(([generations]) => {
    if (generations === undefined)
      throw new LarderError('E_STORE', 'a tag generation counter vanished while it was being created');
    return withMeta({ tags, generations });
  });
}
