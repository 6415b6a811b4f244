/** The body of `Cache.fragment`: a rendered string cached under Django's fragment key. */
import { resolveTtl } from './duration.js';
import { LarderError } from './errors.js';
import { fragmentKey } from './fragment-key.js';
import { invalidOption, showValue } from './invalid-option.js';
import type { FragmentVaryValue } from './python-str.js';
import type { Cache, GetOrSetOptions, Ttl } from './types.js';

/** Renders a fragment on a miss: the HTML (or any text) to cache. */
export type FragmentRender = () => string | Promise<string>;

/**
 * Options of `fragment`: those of `getOrSet` but the TTL, which `fragment`
 * takes as an argument (explicitly, as Django's tag does).
 */
export type FragmentOptions = Omit<GetOrSetOptions, 'ttl'>;

/** Checks the arguments early (before any store call) and goes through `getOrSet`. */
export async function fragment(
  cache: Cache,
  name: string,
  varyOn: readonly FragmentVaryValue[],
  ttl: Ttl,
  render: FragmentRender,
  options?: FragmentOptions,
): Promise<string> {
  const key = fragmentKey(name, varyOn);
  // No default TTL: Django's tag has none, and "forever" must be said, never implied.
  if (ttl === undefined)
    throw invalidOption(
      'ttl',
      "a duration, or null / 'forever' for no expiry (there is no default)",
      ttl,
      'fragment',
    );
  resolveTtl(ttl, null, 'ttl', 'fragment');
  if (typeof render !== 'function')
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      `fragment: render must be a function returning the fragment's text, got ${showValue(render)}`,
    );
  if (options !== undefined && 'ttl' in options)
    throw invalidOption(
      'options.ttl',
      'absent (the TTL is the third argument)',
      (options as GetOrSetOptions).ttl,
      'fragment',
    );
  // Through getOrSet, so a fragment gets single flight, the lease, grace and
  // the tags of what render reads (larder/sql) like any other value.
  return cache.getOrSet<string>(
    key,
    async () => {
      const text = await render();
      if (typeof text !== 'string')
        throw new LarderError(
          'E_INVALID_ARGUMENT',
          `fragment ${JSON.stringify(name)}: render must return a string, got ${showValue(text)}`,
        );
      return text;
    },
    { ...options, ttl },
  );
}
