/** Django's clear case, scoped: `clear()` removes this cache's keys and nothing else. */
import assert from 'node:assert/strict';
import { isLarderError } from '../../core/errors.js';
import { defineCases } from '../conformance-case.js';

/** clear(). */
export const clearCases = defineCases('clear', {
  async 'clear removes every key of the cache, at every version and in every namespace'(h) {
    const cache = h.cache();
    await cache.setMany({ a: 1, b: 2, c: null });
    await cache.set('v2', 1, { version: 2 });
    await cache.set('forever', 1, { ttl: null });
    const users = cache.namespace('users');
    await users.set('u', 1);
    await cache.clear();
    assert.deepEqual(await cache.getMany(['a', 'b', 'c', 'forever']), new Map());
    assert.equal(await cache.get('v2', { version: 2 }), undefined);
    assert.equal(await users.get('u'), undefined);
    await cache.set('a', 'after');
    assert.equal(await cache.get('a'), 'after', 'the cache is usable after clear');
  },

  async 'clear leaves the keys of other caches on the same store'(h) {
    const mine = h.cache();
    // Its prefix starts with ours, as a careless `prefix*` match would catch.
    const other = h.cache({ prefix: h.otherPrefix('other') });
    const custom = h.cache({
      prefix: h.otherPrefix('custom'),
      keyFunction: (key, prefix, version) => `${prefix}:c${version}:${key}`,
    });
    for (const cache of [mine, other, custom]) {
      await cache.set('key', cache.prefix);
      await cache.namespace('ns').set('key', cache.prefix);
    }
    await mine.clear();
    assert.equal(await mine.get('key'), undefined);
    for (const cache of [other, custom]) {
      assert.equal(await cache.get('key'), cache.prefix, `${cache.prefix} kept its key`);
      assert.equal(
        await cache.namespace('ns').get('key'),
        cache.prefix,
        `${cache.prefix} kept its namespace`,
      );
    }
  },

  async 'clear of an empty cache resolves'(h) {
    const cache = h.cache();
    await cache.clear();
    await cache.clear();
    assert.equal(await cache.get('anything'), undefined);
  },

  async 'a prefix holds no separator, so no cache’s keyspace can contain another’s'(h) {
    // clear() of prefix P removes `P:`, `P/` and `P#`: a cache on `P:x`, `P/x` or
    // `P#x` would lose its keys to it, so such prefixes are refused.
    for (const separator of [':', '/', '#']) {
      assert.throws(
        () => h.cache({ prefix: `${h.prefix}${separator}x` }),
        (e) => isLarderError(e, 'E_INVALID_OPTION') && /\bprefix must be /.test(e.message),
        `prefix with ${separator}`,
      );
    }
    assert.throws(() => h.cache({ prefix: `${h.prefix}\ud800` }), /\bprefix must be /);
  },

  async 'clear of one cache never touches another’s entries, namespaces, tags or counters'(h) {
    const mine = h.cache();
    const others = [h.cache({ prefix: h.otherPrefix('x') }), h.cache({ prefix: `${h.prefix}x` })];
    const write = async (cache: typeof mine): Promise<void> => {
      await cache.set('plain', cache.prefix);
      await cache.set('tagged', cache.prefix, { tags: ['t'], grace: '1m' });
      await cache.getOrSet('filled', () => cache.prefix, { tags: ['t'] });
      await cache.set('counter', 1);
      await cache.namespace('ns').set('inner', cache.prefix, { tags: ['t'] });
    };
    for (const cache of [mine, ...others]) await write(cache);
    await mine.clear();
    await mine.namespace('ns').clear();
    await mine.invalidateTags(['t']);
    assert.equal(await mine.get('plain'), undefined);
    for (const cache of others) {
      const p = cache.prefix;
      assert.equal(await cache.get('plain'), p, `${p} plain`);
      assert.equal(await cache.get('tagged'), p, `${p} tagged`);
      assert.equal(await cache.get('filled'), p, `${p} filled`);
      assert.equal(await cache.incr('counter'), 2, `${p} counter`);
      assert.equal(await cache.namespace('ns').get('inner'), p, `${p} namespace`);
    }
  },
});
