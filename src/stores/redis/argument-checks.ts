/** Checks of the arguments core passes to the Redis store's methods, in the shared format (invalid-option.ts). */
import type { LarderError } from '../../core/errors.js';
import { invalidOption } from '../../core/invalid-option.js';

/** Throw `E_INVALID_OPTION` unless `delta` is a safe integer (Redis would refuse or round it). */
export function checkDelta(scope: string, delta: number): void {
  if (!Number.isSafeInteger(delta)) throw invalidOption('delta', 'a safe integer', delta, scope);
}

/** The error for a lease TTL that is not a positive finite number, or `undefined` for a good one. */
export function leaseTtlRefusal(scope: string, ttlMs: number): LarderError | undefined {
  if (Number.isFinite(ttlMs) && ttlMs > 0) return undefined;
  return invalidOption('ttlMs', 'a positive finite number', ttlMs, scope);
}

/** Throw `E_INVALID_OPTION` unless `pageSize` is a positive safe integer. */
export function checkPageSize(scope: string, pageSize: number): void {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw invalidOption('pageSize', 'a positive integer', pageSize, scope);
}
