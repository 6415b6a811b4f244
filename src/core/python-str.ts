/**
 * Python's `str()` of the JavaScript values a template fragment may vary on, so
 * that `fragmentKey` derives the key Django's `make_template_fragment_key`
 * derives from the same values (docs/fragments.md#key-derivation).
 */
import { LarderError } from './errors.js';
import { showValue } from './invalid-option.js';
import { hasLoneSurrogate } from './keys.js';

/** A value a fragment may vary on: what has one obvious Python `str()`. */
export type FragmentVaryValue = string | number | bigint | boolean | null;

/**
 * Python's `str()` of `value`: a string as it is, `null` → `'None'`, booleans →
 * `'True'`/`'False'`, safe integers and bigints in decimal (Python `int`), other
 * finite numbers as Python prints a `float` (`1e-05`, `1e+16`, `2.0`). Anything
 * else throws `E_INVALID_ARGUMENT` naming `path`: `undefined` is usually a
 * missing variable, and an object's `str()` (a `Date`, a list) has no form both
 * sides would agree on.
 * @example pythonStr(null, 'varyOn[0]') // 'None'
 */
export function pythonStr(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      // Python cannot even encode a lone surrogate; Node would write U+FFFD and
      // merge it with every other one.
      if (hasLoneSurrogate(value)) throw notStringable(path, value, 'a string with a lone UTF-16 surrogate');
      return value;
    case 'boolean':
      return value ? 'True' : 'False';
    case 'bigint':
      return value.toString();
    case 'number':
      if (Number.isSafeInteger(value)) return String(value); // -0 is 0, as Python's int has no -0
      if (!Number.isFinite(value)) throw notStringable(path, value, 'not a finite number');
      return pythonFloat(value);
    case 'object':
      if (value === null) return 'None';
      return notStringableObject(path, value);
    default:
      throw notStringable(path, value, typeof value === 'undefined' ? 'undefined (a missing value?)' : '');
  }
}

/**
 * Python's `repr()` of a float (what `str()` prints since Python 3.2): the
 * shortest digits that round-trip (JavaScript picks the same ones), fixed
 * notation for exponents from -4 to 15 with at least one decimal, scientific
 * otherwise with a two-digit exponent at least.
 */
function pythonFloat(value: number): string {
  const sign = value < 0 ? '-' : '';
  // toExponential() with no argument: as many digits as needed to round-trip.
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${body}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

function notStringableObject(path: string, value: object): never {
  const kind = Array.isArray(value)
    ? 'an array'
    : value instanceof Date
      ? 'a Date (pass date.toISOString() or a timestamp)'
      : 'an object';
  throw notStringable(path, value, kind);
}

function notStringable(path: string, value: unknown, why: string): LarderError {
  return new LarderError(
    'E_INVALID_ARGUMENT',
    `${path} must be a string, a finite number, a bigint, a boolean or null (its Python str() goes into the key), got ${showValue(value)}${why === '' ? '' : `: ${why}`}`,
  );
}
