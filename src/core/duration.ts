/** Durations and TTLs: parsing user input into plain milliseconds. */
import { LarderError } from './errors.js';
import type { Duration, Ttl } from './types.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds in a duration (a number of ms, or a string such as `'5m'`). */
export function toMs(duration: Duration, option: string): number {
  if (typeof duration === 'number') {
    if (Number.isNaN(duration)) throw invalid(option, duration);
    return duration;
  }
  const match = typeof duration === 'string' ? DURATION.exec(duration) : null;
  if (match === null) throw invalid(option, duration);
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
}

/**
 * A TTL as the store sees it: positive ms, `null` for never expiring, or 0 for
 * "do not store" (the input was zero or negative). Fractions of a millisecond
 * round up, so a tiny positive TTL still stores.
 */
export function resolveTtl(ttl: Ttl | undefined, fallback: number | null, option = 'ttl'): number | null {
  if (ttl === undefined) return fallback;
  if (ttl === null || ttl === 'forever') return null;
  const ms = toMs(ttl, option);
  if (ms === Number.POSITIVE_INFINITY) return null;
  return ms <= 0 ? 0 : Math.ceil(ms);
}

function invalid(option: string, value: unknown): LarderError {
  return new LarderError(
    'E_INVALID_OPTION',
    `${option} must be a number of milliseconds, a string like '30s' / '5m' / '1h', null or 'forever' (got ${JSON.stringify(value)})`,
  );
}
