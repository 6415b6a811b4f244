/**
 * The listener's bumps must be stored before their LSN is acknowledged:
 * acknowledging on the strength of a bump that did not land would lose the
 * invalidation for good if this process died before the cache's background
 * replay. `invalidateTags` says so itself (`'journaled'`) under the default
 * `degrade` policy, and rejects under `throw`. It goes through the cache's
 * invalidation guard, so a read breaker opened by this process's slow reads
 * never short-circuits it.
 */
import { LarderError } from '../../core/errors.js';
import type { Cache } from '../../core/types.js';

/** Bump `tags`; rejects unless the bump reached the store. */
export async function bumpOrThrow(cache: Cache, tags: readonly string[]): Promise<void> {
  const result = await cache.invalidateTags(tags);
  if (result === 'journaled')
    throw new LarderError(
      'E_INVALIDATION_PENDING',
      'the cache store did not take the bump (journaled; the cache replays it in the background)',
    );
}
