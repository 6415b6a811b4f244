/**
 * Listing keys (`Store.scanKeys`, through core's internal `scanKeys` helper,
 * which the session store's `all()`, `length()` and `clear()` use): exactly the
 * user keys under a prefix, in pages, with glob characters taken literally and
 * expired keys left out. A store without `scanKeys` must make the helper refuse
 * with `E_UNSUPPORTED`; its other cases are skipped.
 */
import assert from 'node:assert/strict';
import { isLarderError } from '../../core/errors.js';
import { scanKeys } from '../../core/scan-keys.js';
import type { Cache } from '../../core/types.js';
import { defineCases } from '../conformance-case.js';

const SHORT_TTL_MS = 50;
const PAST_SHORT_TTL_MS = 150;

/** Every page, after checking that none is empty or larger than `pageSize`. */
async function pagesOf(cache: Cache, keyPrefix: string, pageSize?: number): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of scanKeys(cache, keyPrefix, pageSize)) {
    assert.ok(page.length > 0, 'no page is empty');
    if (pageSize !== undefined) assert.ok(page.length <= pageSize, `a page of ${page.length} > ${pageSize}`);
    pages.push([...page]);
  }
  return pages;
}

/** The distinct keys listed, sorted (a store may list a key twice). */
async function listed(cache: Cache, keyPrefix: string, pageSize?: number): Promise<string[]> {
  return [...new Set((await pagesOf(cache, keyPrefix, pageSize)).flat())].sort();
}

function range(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
}

/** scanKeys. */
export const scanKeysCases = defineCases('scan keys', {
  async 'lists exactly the keys under a prefix, across several pages'(h) {
    const cache = h.cache();
    if (h.store.scanKeys === undefined) {
      assert.throws(
        () => scanKeys(cache, 'scan-a:'),
        (e) => isLarderError(e, 'E_UNSUPPORTED'),
      );
      return;
    }
    const wanted = range('scan-a:', 25);
    await cache.setMany(new Map(wanted.map((key) => [key, key])));
    // Near misses: another prefix, the bare prefix without its separator,
    // another version, a namespace, and another cache whose prefix starts with ours.
    await cache.setMany({ 'scan-b:1': 1, 'scan-b:2': 2, 'scan-a': 3 });
    await cache.set('scan-a:v2', 1, { version: 2 });
    await cache.namespace('ns').set('scan-a:ns', 1);
    await h.cache({ prefix: `${h.prefix}x` }).set('scan-a:other', 1);

    const pages = await pagesOf(cache, 'scan-a:', 10);
    assert.ok(pages.length >= 3, `25 keys in pages of 10 take 3 pages or more, got ${pages.length}`);
    assert.deepEqual([...new Set(pages.flat())].sort(), wanted);
    assert.deepEqual(
      await listed(cache, ''),
      [...wanted, 'scan-a', 'scan-b:1', 'scan-b:2'].sort(),
      'an empty key prefix lists every key of the cache at its version',
    );
    assert.deepEqual(await listed(cache, 'scan-c'), [], 'nothing under an unused prefix');
  },

  async 'glob characters in the prefix are literal'(h) {
    if (h.store.scanKeys === undefined) return;
    const cache = h.cache();
    const prefix = 'g*?[x]\\';
    // Each decoy matches `prefix` read as a glob pattern, or the pattern with one escape lost.
    await cache.setMany({
      [`${prefix}1`]: 1,
      [`${prefix}2`]: 2,
      'gAB[x]\\1': 0,
      'g*?x\\1': 0,
      'g*Z[x]\\1': 0,
      'g*?[x]1': 0,
      'g*?x]\\1': 0,
    });
    assert.deepEqual(await listed(cache, prefix, 10), [`${prefix}1`, `${prefix}2`]);
    assert.deepEqual(
      await listed(cache, 'g*'),
      [`${prefix}1`, `${prefix}2`, 'g*?[x]1', 'g*?x\\1', 'g*?x]\\1', 'g*Z[x]\\1'].sort(),
    );
  },

  async 'expired keys are not listed'(h) {
    if (h.store.scanKeys === undefined) return;
    const cache = h.cache();
    await cache.setMany({ 'exp:1': 1, 'exp:2': 2 }, { ttl: SHORT_TTL_MS });
    await cache.set('exp:kept', 3, { ttl: '1m' });
    await h.wait(PAST_SHORT_TTL_MS);
    assert.deepEqual(await listed(cache, 'exp:'), ['exp:kept']);
  },

  async 'deleting each page while scanning still lists every key'(h) {
    if (h.store.scanKeys === undefined) return;
    const cache = h.cache();
    const wanted = range('del:', 25);
    await cache.setMany(new Map(wanted.map((key) => [key, 1])));
    const seen = new Set<string>();
    // What a session store's clear() does: delete what each page lists.
    for await (const page of scanKeys(cache, 'del:', 10)) {
      for (const key of page) seen.add(key);
      await cache.deleteMany(page);
    }
    assert.deepEqual([...seen].sort(), wanted);
    assert.deepEqual(await listed(cache, 'del:'), [], 'all deleted');
  },

  async 'stopping early leaves the store usable'(h) {
    if (h.store.scanKeys === undefined) return;
    const cache = h.cache();
    await cache.setMany(new Map(range('stop:', 15).map((key) => [key, 1])));
    for await (const page of scanKeys(cache, 'stop:', 5)) {
      assert.ok(page.length > 0);
      break;
    }
    assert.equal((await listed(cache, 'stop:')).length, 15);
    assert.equal(await cache.get('stop:00'), 1);
  },
});
