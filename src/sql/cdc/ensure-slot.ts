/**
 * The slot check before each stream, and the full invalidation that a slot we
 * had to create owes. Whenever the listener creates the slot — first start,
 * dropped while we were down, invalidated because the server removed WAL it
 * needed — writes made while no slot recorded them cannot be replayed, so
 * every cached query of the database is invalidated before streaming starts.
 *
 * Order: a marker is stored in the cache first, then the slot is (re)created,
 * then the database tag is bumped, then the marker is removed. A process that
 * dies in between finds the marker on its next start and owes the full
 * invalidation still; without it, the new slot would look healthy and the
 * writes before it would be forgotten. Writes after the slot's creation point
 * are streamed as usual.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { LarderError } from '../../core/errors.js';
import { sqlChannels } from '../sql-channels.js';
import { type DatabaseIdentity, databaseTag } from '../table-tags.js';
import { bumpOrThrow } from './bump-or-throw.js';
import type { ResolvedCdcOptions } from './cdc-options.js';
import { createSlot, dropSlot, readSlot } from './replication-setup.js';
import { strictly } from './strict-cache.js';

/** The outcome of a slot check. */
export interface SlotReady {
  /** Where to start streaming: the slot's confirmed position. */
  readonly startLsn: bigint;
  /** Whether every cached query of the database was just invalidated. */
  readonly fullInvalidation: boolean;
}

/** The cache key of the "full invalidation owed" marker of one slot. */
export function fullInvalidationMarker(db: DatabaseIdentity, slot: string): string {
  // Hashed: a database name may hold spaces or be long, and keys stay short and clean.
  const scope = createHash('sha256').update(`${db.systemId}/${db.database}`).digest('hex').slice(0, 24);
  return `larder-cdc-owed:${slot}:${scope}`;
}

/**
 * Check the slot; (re)create it when it is missing, invalidated, or the stream
 * reported it unusable (`streamFailure`); do the full invalidation that owes.
 */
export async function ensureSlot(
  admin: pg.Client,
  options: ResolvedCdcOptions,
  db: DatabaseIdentity,
  streamFailure: string | undefined,
): Promise<SlotReady> {
  const { cache, slot } = options;
  const marker = fullInvalidationMarker(db, slot);
  const state = await readSlot(admin, slot, db.database);
  const confirmed = state.exists ? (state.confirmedFlushLsn ?? 0n) : 0n;
  let reason: string | undefined;
  if (!state.exists) {
    reason = `replication slot "${slot}" does not exist (first start, or dropped while the listener was down)`;
  } else if (state.lost) {
    reason = `replication slot "${slot}" was invalidated (the server removed WAL it still needed; see max_slot_wal_keep_size)`;
  } else if (streamFailure !== undefined) {
    reason = `the server can no longer stream from replication slot "${slot}" (${streamFailure})`;
  }
  const recreate = reason !== undefined;
  if (reason === undefined) {
    const owed = await strictly(cache, 'get', () => cache.get<{ reason: string }>(marker));
    if (owed === undefined) return { startLsn: confirmed, fullInvalidation: false };
    reason = `a full invalidation owed since an earlier run did not complete (${owed.reason})`;
  } else {
    const noted = reason;
    await strictly(cache, 'set', () =>
      cache.set(marker, { reason: noted, at: options.clock.now() }, { ttl: 'forever' }),
    );
    if (!options.create) {
      throw new LarderError(
        'E_CDC_SETUP',
        `larder/sql CDC: ${reason}, and create is false; create the slot (SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput'), after dropping an invalidated one): the full invalidation runs on the next start`,
      );
    }
    if (state.exists) await dropSlot(admin, slot);
  }
  const startLsn = recreate ? await createSlot(admin, slot) : confirmed;
  options.logger.warn(
    `larder/sql CDC: ${reason}; invalidating every cached query of database "${db.database}" before following the WAL again`,
    { slot, database: db.database },
  );
  const tag = databaseTag(db);
  await bumpOrThrow(cache, [tag]);
  if (sqlChannels.invalidate.hasSubscribers) sqlChannels.invalidate.publish({ tables: 0, source: 'full' });
  // Not strict: a marker left behind costs one more full invalidation, never a stale read.
  await cache.delete(marker).catch(() => {});
  return { startLsn, fullInvalidation: true };
}
