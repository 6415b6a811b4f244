/** The key of a cached template fragment, as Django derives it. */
import { createHash } from 'node:crypto';
import { LarderError } from './errors.js';
import { showValue } from './invalid-option.js';
import { type FragmentVaryValue, pythonStr } from './python-str.js';

/**
 * The cache key of fragment `name` varied on `varyOn`: Django's
 * `make_template_fragment_key(name, vary_on)`, `template.cache.<name>.<md5>`
 * where the MD5 runs over each value's Python `str()` in UTF-8, each followed
 * by `:`. A Django app and a Larder app sharing a store (with the same key
 * prefix and version) therefore name a fragment alike. As in Django, the
 * values are not escaped: `['a:b']` and `['a', 'b']` give the same key.
 * Throws `E_INVALID_ARGUMENT` for an empty name or a value with no Python
 * `str()` (docs/fragments.md#key-derivation).
 * @example await cache.delete(fragmentKey('sidebar', [user.id])) // expire one fragment now
 */
export function fragmentKey(name: string, varyOn: readonly FragmentVaryValue[]): string {
  if (typeof name !== 'string' || name === '')
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      `fragment: name must be a non-empty string, got ${showValue(name)}`,
    );
  if (!Array.isArray(varyOn))
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      `fragment: varyOn must be an array of values (empty for none), got ${showValue(varyOn)}`,
    );
  // MD5 only names the entry here, as in Django (usedforsecurity=False).
  const hash = createHash('md5');
  // Indexed, not forEach: a hole in a sparse array is an undefined value to refuse, not to skip.
  for (let index = 0; index < varyOn.length; index++) {
    hash.update(pythonStr(varyOn[index], `fragment: varyOn[${index}]`), 'utf8');
    hash.update(':');
  }
  return `template.cache.${name}.${hash.digest('hex')}`;
}
