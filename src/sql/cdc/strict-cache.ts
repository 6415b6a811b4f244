/**
 * Reads and writes whose failure the listener must see: the "full
 * invalidation owed" marker (ensure-slot.ts). Under the cache's default
 * `degrade` policy a failed `get` is a miss and a failed `set` a no-op, and
 * neither says so in its result; the cache reports every degraded failure as
 * an `error` event before the call resolves, so a failure of the same
 * operation during the call counts as ours. A concurrent failure of another
 * caller's call can only make us retry — harmless. Bumps do not need this:
 * `invalidateTags` reports `'journaled'` itself (see bump-or-throw.ts).
 */
import { LarderError } from '../../core/errors.js';
import type { Cache } from '../../core/types.js';

/** Run one cache call; reject when it failed, also when the cache degraded the failure away. */
export async function strictly<T>(cache: Cache, operation: string, call: () => Promise<T>): Promise<T> {
  let failure: unknown;
  const off = cache.on('error', (event) => {
    if (event.operation === operation) failure ??= event.error;
  });
  let result: T;
  try {
    result = await call();
  } finally {
    off();
  }
  if (failure !== undefined) {
    throw failure instanceof Error
      ? failure
      : new LarderError('E_STORE', `${operation} failed`, { cause: failure });
  }
  return result;
}
