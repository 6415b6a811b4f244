/**
 * Optimistic read-modify-write: `gets` reads a value with a token naming the
 * bytes it came from, and `compareAndSet` stores a new value only if the key
 * still holds those bytes (memcached's `gets`/`cas`). Sessions are written this
 * way (docs/decisions/0009-session-merge.md), so that of two requests of one
 * session neither erases the other's change.
 *
 * Both always reject when the store fails, whatever `onError` says (the
 * failure is still reported and counts toward the breaker): a degraded read
 * cannot be the base of a write, and a write that may or may not have landed
 * must not read as "someone else changed it".
 */
import type { LarderCache } from './cache.js';
import { handleFailure, supersede } from './cache-context.js';
import { entryEncoder } from './entry-encoding.js';
import { LarderError } from './errors.js';
import { resolveEntry, resolveVersion } from './options.js';
import { classifyBytes, countRead } from './read-entry.js';
import type { CasRead, EntryOptions, KeyOptions } from './types.js';

/** What `gets` hands out: the stored key and the bytes found there (`null`: nothing). */
export class CasToken {
  /** @internal */
  readonly storedKey: string;
  /** @internal */
  readonly bytes: Uint8Array | null;
  constructor(storedKey: string, bytes: Uint8Array | null) {
    this.storedKey = storedKey;
    this.bytes = bytes;
  }
}

/** Read `key` with the token of the bytes found, whatever they decode to. */
export async function gets<T>(cache: LarderCache, key: string, options?: KeyOptions): Promise<CasRead<T>> {
  const shared = cache.shared;
  const storedKey = await cache.storedKey(key, resolveVersion(options, shared.options));
  let found: Uint8Array | null | undefined;
  try {
    found = await shared.guard.run('gets', () => shared.store.get(storedKey));
  } catch (error) {
    handleFailure(shared, 'gets', error, true);
    throw error; // unreachable: handleFailure threw
  }
  const bytes = found ?? null;
  // A journaled invalidation of the key that has not reached the store yet:
  // the bytes are still the token (a swap replaces them), the value is gone.
  const journal = shared.journal;
  const reading =
    journal.blocking && journal.blocks(storedKey) ? 'tombstoned' : await classifyBytes(shared, bytes, 'gets');
  const token = new CasToken(storedKey, bytes);
  if (!countRead(shared, cache.prefix, 'gets', reading)) return { value: undefined, token };
  return { value: reading.value as T, token };
}

/**
 * Store `value` under `key` only if the key still holds what `token` was read
 * from: `'stored'`, or `'changed'` when another writer (or an expiry) got
 * there first; the caller reads again and retries.
 */
export async function compareAndSet(
  cache: LarderCache,
  key: string,
  value: unknown,
  token: CasToken,
  options?: EntryOptions,
): Promise<'stored' | 'changed'> {
  const shared = cache.shared;
  if (!(token instanceof CasToken))
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      'compareAndSet: token must come from gets() of the same cache',
    );
  const entry = resolveEntry(options, shared.options);
  const storedKey = await cache.storedKey(key, entry.version);
  if (token.storedKey !== storedKey)
    throw new LarderError('E_INVALID_ARGUMENT', 'compareAndSet: the token was read from another key');
  if (entry.ttlMs === 0)
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      'compareAndSet: the TTL must be positive (use delete to remove)',
    );
  const { store, guard } = shared;
  const swap = store.compareAndSet;
  if (swap === undefined)
    throw new LarderError('E_UNSUPPORTED', `compareAndSet: the ${store.name} store has no compareAndSet`);
  const { bytes, ttlMs } = (await entryEncoder(shared, entry))(value);
  supersede(shared, storedKey);
  await cache.keepScope(entry.ttlMs === null ? null : entry.ttlMs + entry.graceMs);
  let stored: boolean;
  try {
    stored = await guard.run('compareAndSet', () => swap.call(store, storedKey, token.bytes, bytes, ttlMs));
  } catch (error) {
    handleFailure(shared, 'compareAndSet', error, true);
    throw error; // unreachable: handleFailure threw
  }
  if (stored) shared.counters.sets++;
  return stored ? 'stored' : 'changed';
}
