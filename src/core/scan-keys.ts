/**
 * Listing a cache's keys: what the session store's `all()`, `length()` and
 * `clear()` are built on. Internal: not on the public `Cache` interface, since
 * only some stores can list keys and only some key layouts can be listed.
 */
import { LarderCache } from './cache.js';
import { LarderError } from './errors.js';
import { checkEncodable, defaultKeyFunction } from './keys.js';
import type { StoreGuard } from './store-guard.js';
import type { Cache } from './types.js';

/**
 * @internal The user keys of `cache`, at its default version, that start with
 * `keyPrefix`, a page at a time (at most `pageSize` keys per page; the store's
 * default without it).
 *
 * The stored prefix is built by `defaultKeyFunction` (`${prefix}:${version}:${keyPrefix}`)
 * and stripped from every key the store lists. Keys hashed to fit the store's
 * `maxKeyBytes` (see `fitKey`) are skipped: their stored form is
 * `${prefix}:${version}#<hash>`, which no longer holds the user key and never
 * matches the stored prefix.
 *
 * The guarantees are the store's (`Store.scanKeys`): a key present for the
 * whole scan is listed at least once, a key written or deleted meanwhile may or
 * may not be, and a key may be listed twice (Redis SCAN): dedupe if it matters.
 *
 * Throws `E_UNSUPPORTED` (before the first page) when the store has no
 * `scanKeys`, when the cache has a custom `keyFunction` (its stored keys need
 * not start with a prefix, nor can the user key be recovered from them), when
 * `cache` is a namespace view (its keys carry the namespace's generation, which
 * would have to be read first and may change mid-scan, and keys of older
 * generations linger until they expire, so a listing could not say which keys
 * are live), or when `cache` was not made by `createCache`. `E_CLOSED` when the
 * cache is closed; `E_INVALID_KEY` when the prefix has no UTF-8 form.
 *
 * Each page is fetched through the cache's guard, so one page (one SCAN round
 * trip) gets the operation timeout and counts toward the breaker like any read;
 * the scan as a whole has no deadline, since its length grows with the keyspace.
 * A failed page rejects whatever `onError` says: a listing cut short cannot
 * degrade to an answer that looks complete.
 */
export function scanKeys(
  cache: Cache,
  keyPrefix: string,
  pageSize?: number,
): AsyncIterable<readonly string[]> {
  if (!(cache instanceof LarderCache))
    throw new LarderError('E_UNSUPPORTED', 'scanKeys: only a cache made by createCache can list its keys');
  const { store, options, guard, closed } = cache.shared;
  if (closed) throw new LarderError('E_CLOSED', 'the cache is closed');
  const scan = store.scanKeys;
  if (scan === undefined)
    throw new LarderError('E_UNSUPPORTED', `scanKeys: the ${store.name} store cannot list keys`);
  if (options.keyFunction !== defaultKeyFunction)
    throw new LarderError(
      'E_UNSUPPORTED',
      'scanKeys: a cache with a custom keyFunction cannot list its keys (the user key is not recoverable from the stored one)',
    );
  if (cache.namespaced)
    throw new LarderError(
      'E_UNSUPPORTED',
      'scanKeys: a namespace cannot list its keys (its stored keys carry a generation that changes on clear)',
    );
  if (typeof keyPrefix !== 'string')
    throw new LarderError('E_INVALID_KEY', `a key prefix must be a string (got ${typeof keyPrefix})`);
  const storedPrefix = defaultKeyFunction(keyPrefix, cache.prefix, cache.version);
  checkEncodable(storedPrefix);
  const strip = storedPrefix.length - keyPrefix.length;
  // Called at the first page, like the rest of the generator.
  return userKeys(() => scan.call(store, storedPrefix, pageSize), guard, strip);
}

/** The store's pages, each fetched through `guard`, with the first `strip` characters of each key cut. */
async function* userKeys(
  scan: () => AsyncIterable<readonly string[]>,
  guard: StoreGuard,
  strip: number,
): AsyncGenerator<readonly string[]> {
  const pages = scan()[Symbol.asyncIterator]();
  let done = false;
  try {
    while (true) {
      const step = await guard.run('scanKeys', () => pages.next());
      if (step.done === true) {
        done = true;
        return;
      }
      yield step.value.map((key) => key.slice(strip));
    }
  } finally {
    // The caller stopped early, or a page failed: let the store release its
    // cursor. Not awaited: after a timeout the pending page may never settle.
    if (!done) pages.return?.().catch(() => {});
  }
}
