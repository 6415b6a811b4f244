/** Durations and TTLs: parsing user input into plain milliseconds. */
import { invalidOption } from './invalid-option.js';
import type { Ttl } from './types.js';

/**
 * The longest TTL (and grace) a cache accepts: 2^31 - 1 seconds, about 68 years,
 * in milliseconds. Far below what Redis `PX` and a JavaScript number hold
 * exactly, so a TTL plus its grace plus a counter's margin stays exact on every
 * store. Longer is `E_INVALID_OPTION`; use `'forever'` for "never expires".
 */
export const MAX_TTL_MS = (2 ** 31 - 1) * 1000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const TTL_EXPECTED = "a number of milliseconds, a string like '30s' / '5m' / '1h', null or 'forever'";

/** Milliseconds in a duration, or `undefined` when `duration` is not one (no bounds checked). */
export function parseDuration(duration: unknown): number | undefined {
  if (typeof duration === 'number') return Number.isNaN(duration) ? undefined : duration;
  const match = typeof duration === 'string' ? DURATION.exec(duration) : null;
  if (match === null) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
}

/**
 * A TTL as the store sees it: positive ms, `null` for never expiring, or 0 for
 * "do not store" (the input was zero or negative). Fractions of a millisecond
 * round up, so a tiny positive TTL still stores. `Infinity` means forever; a
 * finite TTL above `MAX_TTL_MS` throws `E_INVALID_OPTION`. `scope` names the
 * function the option was given to (see invalid-option.ts).
 */
export function resolveTtl(
  ttl: Ttl | undefined,
  fallback: number | null,
  path = 'ttl',
  scope?: string,
): number | null {
  if (ttl === undefined) return fallback;
  if (ttl === null || ttl === 'forever') return null;
  const ms = parseDuration(ttl);
  if (ms === undefined) throw invalidOption(path, TTL_EXPECTED, ttl, scope);
  if (ms === Number.POSITIVE_INFINITY) return null;
  // Checked here, once for every store: memory would keep 1e300 ms, Redis refuses it.
  if (ms > MAX_TTL_MS)
    throw invalidOption(
      path,
      `at most ${MAX_TTL_MS} ms (2^31 - 1 seconds); use 'forever' for no expiry`,
      ttl,
      scope,
    );
  return ms <= 0 ? 0 : Math.ceil(ms);
}
