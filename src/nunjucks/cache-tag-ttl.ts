/** The timeout of `{% cache %}`, read as Django reads it, into a Larder TTL. */
import { parseDuration } from '../core/duration.js';
import { LarderError } from '../core/errors.js';
import { showValue } from '../core/invalid-option.js';
import type { Ttl } from '../core/types.js';

const WHOLE_SECONDS = /^\s*[-+]?\d+\s*$/;
const WITH_UNIT = /(ms|s|m|h|d)$/;

/**
 * The TTL of a `{% cache %}` timeout: whole **seconds** like Django's tag (a
 * number, or a string of digits as Django's `int()` takes it); a string with a
 * unit (`'10m'`); `none` (or a variable holding null) for no expiry, as Django;
 * `'forever'`. Zero or less renders without storing. `undefined` — an unknown
 * variable — and anything else throw `E_TEMPLATE` naming `expression` (and
 * `where`, the tag).
 * @example cacheTagTtl(600, '600') // 600_000
 */
export function cacheTagTtl(value: unknown, expression: string, where = '{% cache %}'): Ttl {
  if (value === undefined)
    throw new LarderError('E_TEMPLATE', `${where} got an unknown variable in its timeout: ${expression}`);
  if (value === null || value === 'forever') return null;
  if (typeof value === 'number' && Number.isInteger(value)) return value * 1000;
  if (typeof value === 'string' && WHOLE_SECONDS.test(value)) return Number(value) * 1000;
  if (typeof value === 'string' && WITH_UNIT.test(value) && parseDuration(value) !== undefined)
    return value as Ttl;
  throw new LarderError(
    'E_TEMPLATE',
    `${where} got a timeout that is not one: ${expression} is ${showValue(value)} (expected whole seconds, a duration such as "10m", or none for no expiry)`,
  );
}
