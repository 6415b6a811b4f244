/**
 * Fail-safe backoff: after a refresh failed and a stale value was served, this
 * process leaves the key's source alone for `failSafeBackoff`. Per process on
 * purpose: a shared "retry later" mark written into the entry could overwrite
 * a fresh value another process has just stored.
 */
import type { Shared } from './cache-context.js';

/** Longest list of keys remembered as backing off after a failed refresh. */
const MAX_BACKOFF_KEYS = 10_000;

/** After a failed refresh: this process serves the stale value without retrying for a while. */
export function backOff(shared: Shared, storedKey: string): void {
  const backoff = shared.backoff;
  const untilAt = shared.options.clock.now() + shared.options.failSafeBackoffMs;
  if (backoff.size >= MAX_BACKOFF_KEYS) backoff.clear();
  backoff.set(storedKey, untilAt);
}

export function backingOff(shared: Shared, storedKey: string): boolean {
  const untilAt = shared.backoff.get(storedKey);
  if (untilAt === undefined) return false;
  if (shared.options.clock.now() < untilAt) return true;
  shared.backoff.delete(storedKey);
  return false;
}
