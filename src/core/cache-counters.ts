/**
 * incr/decr and incrVersion: the operations that count. They have no value to
 * degrade to, so store failures throw here under either error policy.
 */
import { decodeStored, handleFailure, type Shared, supersede } from './cache-context.js';
import { encodeEntry, isRawInteger } from './envelope.js';
import { isStoreFailure, LarderError } from './errors.js';

/** Throw `E_INVALID_OPTION` unless `delta` is a safe integer. */
export function checkDelta(delta: number): void {
  if (!Number.isSafeInteger(delta))
    throw new LarderError('E_INVALID_OPTION', `delta must be an integer (got ${String(delta)})`);
}

/** Atomically add `delta` to the integer under `storedKey`, keeping its TTL. */
export async function incrBy(shared: Shared, storedKey: string, delta: number): Promise<number> {
  const { store, guard } = shared;
  try {
    if (store.incrBy !== undefined)
      return await guard.run('incr', () => store.incrBy?.(storedKey, delta) ?? 0);
    return await incrByReadWrite(shared, storedKey, delta);
  } catch (error) {
    handleFailure(shared, 'incr', error, true);
    throw error;
  }
}

// For stores without an atomic increment: read, add, write back with the TTL left.
async function incrByReadWrite(shared: Shared, storedKey: string, delta: number): Promise<number> {
  const { store, guard } = shared;
  const bytes = await guard.run('incr', () => store.get(storedKey));
  if (bytes == null) throw new LarderError('E_MISSING_KEY', 'incr/decr: the key does not exist');
  const entry = decodeStored(shared, bytes, 'incr');
  if (entry === undefined || !isRawInteger(entry.value))
    throw new LarderError('E_NOT_INTEGER', 'incr/decr: the stored value is not an integer');
  const next = entry.value + delta;
  const ttlMs =
    store.ttl === undefined
      ? shared.options.defaultTtlMs
      : await guard.run('incr', () => store.ttl?.(storedKey));
  if (ttlMs === undefined) throw new LarderError('E_MISSING_KEY', 'incr/decr: the key expired');
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
