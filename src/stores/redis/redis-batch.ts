/**
 * The Redis store's multi-key operations. Each goes through one "group by slot"
 * step, so that the same code serves a standalone server (one group: one MGET,
 * one UNLINK) and a cluster (one command per hash slot, as Cluster refuses
 * cross-slot commands).
 */
import type { LarderError } from '../../core/errors.js';
import { invalidOption } from '../../core/invalid-option.js';
import type { StoreEntry } from '../../core/store.js';
import { checkPageSize } from './argument-checks.js';
import { escapeGlob } from './escape-glob.js';
import { groupBySlot, type SlotGroup } from './key-slot.js';
import type { RedisClientLike } from './redis-client-like.js';
import { setArgs } from './set-args.js';
import { isServerReply } from './to-larder-error.js';

/** What the batch operations need from the store. */
export interface BatchContext {
  /** The client with the store's command options bound (Buffer replies). */
  readonly commands: RedisClientLike;
  /** Split multi-key commands by hash slot. */
  readonly splitBySlot: boolean;
  /** The `COUNT` hint of each SCAN step, as text. */
  readonly scanCount: string;
  /** The store's error mapping (it knows the last connection error). */
  readonly mapError: (error: unknown) => LarderError;
}

/** One group per hash slot when splitting, else a single group. */
function groupsOf<K extends string | Uint8Array>(
  context: BatchContext,
  keys: readonly K[],
): Array<SlotGroup<K>> {
  if (context.splitBySlot) return groupBySlot(keys);
  return [{ slot: -1, keys: keys as K[], indexes: keys.map((_, index) => index) }];
}

/** MGET per group (all in the same tick, so written together); absent keys are undefined. */
export async function getMany(
  context: BatchContext,
  keys: readonly string[],
): Promise<Array<Uint8Array | undefined>> {
  const values = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
  if (keys.length === 0) return values;
  try {
    await Promise.all(
      groupsOf(context, keys).map(async (group) => {
        const replies = await context.commands.sendCommand<Array<Buffer | null>>(['MGET', ...group.keys]);
        for (let i = 0; i < group.indexes.length; i++) {
          values[group.indexes[i] as number] = replies[i] ?? undefined;
        }
      }),
    );
  } catch (error) {
    throw context.mapError(error);
  }
  return values;
}

/**
 * One SET per entry, all issued in the same tick: node-redis writes them to the
 * socket in one batch (a pipeline without MULTI), and each entry gets its own
 * answer. A server refusal of one entry (OOM) marks it false; a connection
 * failure, or every entry failing, rejects, so the caller sees the outage.
 */
export async function setMany(context: BatchContext, entries: readonly StoreEntry[]): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const settled = await Promise.allSettled(
    entries.map((entry) => context.commands.sendCommand(setArgs(entry.key, entry.value, entry.ttlMs, false))),
  );
  let firstError: LarderError | undefined;
  let failed = 0;
  const stored = settled.map((result) => {
    if (result.status === 'fulfilled') return true;
    const error = context.mapError(result.reason);
    if (!isServerReply(result.reason)) throw error;
    firstError ??= error;
    failed++;
    return false;
  });
  if (firstError !== undefined && failed === entries.length) throw firstError;
  return stored;
}

/** UNLINK (a non-blocking delete) per group; resolves how many keys existed. */
async function unlink(context: BatchContext, keys: readonly (string | Buffer)[]): Promise<number> {
  const counts = await Promise.all(
    groupsOf(context, keys).map((group) => context.commands.sendCommand<number>(['UNLINK', ...group.keys])),
  );
  let total = 0;
  for (const count of counts) total += count;
  return total;
}

/** Remove `keys`; resolves how many existed. */
export async function deleteMany(context: BatchContext, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  try {
    return await unlink(context, keys);
  } catch (error) {
    throw context.mapError(error);
  }
}

/** An empty prefix would match every key: refused, by `clear` and `scanKeys` alike. */
function checkPrefix(prefix: string, scope: string): void {
  if (prefix === '') throw invalidOption('prefix', 'a non-empty string', prefix, scope);
}

/**
 * Every SCAN reply for `prefix*` (glob characters in the prefix escaped), in
 * order. Never KEYS (it blocks the server). Client errors are mapped.
 */
async function* scanReplies(context: BatchContext, prefix: string): AsyncGenerator<Buffer[]> {
  const pattern = `${escapeGlob(prefix)}*`;
  let cursor = '0';
  do {
    let reply: [Buffer, Buffer[]];
    try {
      reply = await context.commands.sendCommand<[Buffer, Buffer[]]>([
        'SCAN',
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        context.scanCount,
      ]);
    } catch (error) {
      throw context.mapError(error);
    }
    cursor = reply[0].toString();
    yield reply[1];
  } while (cursor !== '0');
}

/**
 * SCAN for `prefix*` and UNLINK each page. Never FLUSHDB (it removes other
 * caches' keys). Keys created while the scan runs may survive it: SCAN only
 * guarantees the keys present for the whole iteration.
 */
export async function clearPrefix(context: BatchContext, prefix: string): Promise<void> {
  checkPrefix(prefix, 'redisStore.clear');
  for await (const keys of scanReplies(context, prefix)) {
    if (keys.length === 0) continue;
    // Keys stay Buffers: UNLINK gets exactly the bytes SCAN returned.
    try {
      await unlink(context, keys);
    } catch (error) {
      throw context.mapError(error);
    }
  }
}

/**
 * The keys under `prefix` as UTF-8 text, each SCAN reply cut into pages of at
 * most `pageSize` (default: the store's `scanCount`); empty replies are not
 * yielded. SCAN may return a key twice, and skips expired keys itself.
 */
export async function* scanPrefix(
  context: BatchContext,
  prefix: string,
  pageSize?: number,
): AsyncGenerator<string[]> {
  checkPrefix(prefix, 'redisStore.scanKeys');
  const size = pageSize ?? Number(context.scanCount);
  checkPageSize('redisStore.scanKeys', size);
  for await (const keys of scanReplies(context, prefix)) {
    for (let start = 0; start < keys.length; start += size) {
      yield keys.slice(start, start + size).map((key) => key.toString('utf8'));
    }
  }
}
