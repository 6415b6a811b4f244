/**
 * Waiting for a factory run with a time limit: the run goes on after the
 * caller stops waiting (its value is still stored), so these only decide what
 * the caller gets.
 */
import { LarderError } from './errors.js';

/** Wait for `flight` at most `hardMs`; then reject with `E_FACTORY_TIMEOUT` (the flight goes on). */
export async function withHardTimeout(
  flight: Promise<unknown>,
  hardMs: number | undefined,
): Promise<unknown> {
  if (hardMs === undefined) return flight;
  const outcome = await settleWithin(flight, hardMs);
  if (outcome.kind === 'value') return outcome.value;
  if (outcome.kind === 'error') throw outcome.error;
  throw new LarderError(
    'E_FACTORY_TIMEOUT',
    `getOrSet: the factory did not finish within ${hardMs} ms and no stale value was at hand`,
  );
}

export type Settled =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout' };

const TIMED_OUT: Settled = Object.freeze({ kind: 'timeout' });

export function settleWithin(flight: Promise<unknown>, ms: number): Promise<Settled> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
    flight.then(
      (value) => {
        clearTimeout(timer);
        resolve({ kind: 'value', value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ kind: 'error', error });
      },
    );
  });
}
