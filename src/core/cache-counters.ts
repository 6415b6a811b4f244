/**
 * incr/decr and incrVersion: the operations that count. They have no value to
 * degrade to, so store failures throw here under either error policy.
 */
import { handleFailure, type Shared, supersede } from './cache-context.js';
import { encodeEntry, isRawInteger } from './envelope.js';
import { isStoreFailure, LarderError } from './errors.js';
import { optionChecks } from './option-checks.js';
import { isFresh, readEntryOrThrow } from './read-entry.js';

const callChecks = optionChecks();

/** Throw `E_INVALID_OPTION` unless `delta` is a safe integer. */
export function checkDelta(delta: number): void {
  callChecks.integer('delta', delta);
}

/**
 * Atomically add `delta` to the integer under `storedKey`, keeping its TTL.
 * The store increments raw digits (Redis INCRBY) in one round trip; whatever
 * it refuses is then classified by the one read path, so incr agrees with get:
 * a key get misses is `E_MISSING_KEY`, an integer whose envelope carries grace
 * or tags is `E_NOT_COUNTER`, anything else `E_NOT_INTEGER`.
 */
export async function incrBy(shared: Shared, storedKey: string, delta: number): Promise<number> {
  const { store, guard, journal } = shared;
  // A delete or clear of this key that has not reached the store yet: get misses, so incr does.
  if (journal.blocking && journal.blocks(storedKey)) throw missingKey();
  try {
    if (store.incrBy !== undefined)
      return await guard.run('incr', () => store.incrBy?.(storedKey, delta) ?? 0);
    return await incrByReadWrite(shared, storedKey, delta);
  } catch (error) {
    const refused =
      store.incrBy !== undefined && error instanceof LarderError && error.code === 'E_NOT_INTEGER'
        ? await explainRefusal(shared, storedKey, error)
        : error;
    handleFailure(shared, 'incr', refused, true);
    throw refused;
  }
}

function missingKey(): LarderError {
  return new LarderError('E_MISSING_KEY', 'incr/decr: the key does not exist');
}

function notCounter(): LarderError {
  return new LarderError(
    'E_NOT_COUNTER',
    'incr/decr: the integer was stored with grace or tags, whose metadata an atomic increment would drop; store counters with set(key, n, { grace: false }) and no tags',
  );
}

/** Why the store refused to increment: what the read path makes of the key. */
async function explainRefusal(shared: Shared, storedKey: string, refusal: LarderError): Promise<unknown> {
  let reading: Awaited<ReturnType<typeof readEntryOrThrow>>;
  try {
    reading = await readEntryOrThrow(shared, storedKey, 'incr');
  } catch (error) {
    return error;
  }
  if (!isFresh(reading)) return missingKey();
  return isRawInteger(reading.value) && reading.meta !== undefined ? notCounter() : refusal;
}

// For stores without an atomic increment: read, add, write back with the TTL left.
async function incrByReadWrite(shared: Shared, storedKey: string, delta: number): Promise<number> {
  const { store, guard } = shared;
  const reading = await readEntryOrThrow(shared, storedKey, 'incr');
  if (!isFresh(reading)) throw missingKey();
  if (!isRawInteger(reading.value))
    throw new LarderError('E_NOT_INTEGER', 'incr/decr: the stored value is not an integer');
  if (reading.meta !== undefined) throw notCounter();
  const next = reading.value + delta;
  if (!Number.isSafeInteger(next))
    throw new LarderError('E_NOT_INTEGER', 'incr/decr: the result is outside the safe integer range');
  const ttlMs =
    store.ttl === undefined
      ? shared.options.defaultTtlMs
      : await guard.run('incr', () => store.ttl?.(storedKey));
  if (ttlMs === undefined) throw missingKey();
  await guard.run('incr', () => store.set(storedKey, encodeEntry(next, shared.options.codec), ttlMs));
  return next;
}

/** Where an entry moves from and to in `incrVersion`. */
export interface VersionMove {
  readonly from: string;
  readonly to: string;
  readonly version: number;
  readonly next: number;
}

/** Move an entry to another version, keeping its TTL; resolves the new version. */
export async function moveVersion(shared: Shared, key: string, move: VersionMove): Promise<number> {
  const { store, guard } = shared;
  const { from, to } = move;
  let writing = false;
  try {
    const bytes = await guard.run('incrVersion', () => store.get(from));
    const ttlMs =
      store.ttl === undefined
        ? shared.options.defaultTtlMs
        : await guard.run('incrVersion', () => store.ttl?.(from));
    if (bytes == null || ttlMs === undefined)
      throw new LarderError(
        'E_MISSING_KEY',
        `incrVersion: key ${JSON.stringify(key)} does not exist at version ${move.version}`,
      );
    // Copy the bytes as they are (no decode), keeping the TTL left, then drop the old version.
    writing = true;
    supersede(shared, from);
    supersede(shared, to);
    await guard.run('incrVersion', () => store.set(to, bytes, ttlMs));
    await guard.run('incrVersion', () => store.delete(from));
    return move.next;
  } catch (error) {
    // Half moved, or not at all: either version may be read later as the value;
    // neither may be, until both deletes land.
    if (writing && isStoreFailure(error)) shared.journal.recordKeys([from, to]);
    handleFailure(shared, 'incrVersion', error, true);
    throw error;
  }
}
