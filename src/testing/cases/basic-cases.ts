/** Django's basic cases: get/set, non-existent keys, stored null vs default, has, delete, add, close. */
import assert from 'node:assert/strict';
import { rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

/** Basic reads and writes. */
export const basicCases = defineCases('basic', {
  async 'set then get returns the value, and a second set replaces it'(h) {
    const cache = h.cache();
    await cache.set('key', 'value');
    assert.equal(await cache.get('key'), 'value');
    await cache.set('key', { replaced: true });
    assert.deepEqual(await cache.get('key'), { replaced: true });
  },

  async 'a missing key reads as undefined, or as the default given'(h) {
    const cache = h.cache();
    assert.equal(await cache.get('does-not-exist'), undefined);
    assert.equal(await cache.get('does-not-exist', { default: 5 }), 5);
    assert.equal(await cache.get('does-not-exist', { default: null }), null);
    assert.equal(await cache.has('does-not-exist'), false);
  },

  async 'a stored null is a value: get returns null, not the default, and has is true'(h) {
    const cache = h.cache();
    await cache.set('null', null);
    assert.equal(await cache.get('null'), null);
    assert.equal(await cache.get('null', { default: 'default' }), null);
    assert.equal(await cache.has('null'), true);
    assert.deepEqual(await cache.getMany(['null']), new Map([['null', null]]));
  },

  async 'falsy values are values, not misses'(h) {
    const cache = h.cache();
    const values: Record<string, unknown> = { zero: 0, empty: '', no: false, nan: Number.NaN, emptyList: [] };
    for (const [key, value] of Object.entries(values)) {
      await cache.set(key, value);
      assert.deepEqual(await cache.get(key, { default: 'default' }), value, key);
      assert.equal(await cache.has(key), true, key);
    }
  },

  async 'has is true for a stored key and false once it is deleted'(h) {
    const cache = h.cache();
    await cache.set('hello', 'goodbye');
    assert.equal(await cache.has('hello'), true);
    assert.equal(await cache.has('goodbye'), false);
    await cache.delete('hello');
    assert.equal(await cache.has('hello'), false);
  },

  async 'delete removes the key and reports whether it existed'(h) {
    const cache = h.cache();
    await cache.set('key1', 'spam');
    await cache.set('key2', 'eggs');
    assert.equal(await cache.delete('key1'), true);
    assert.equal(await cache.get('key1'), undefined);
    assert.equal(await cache.get('key2'), 'eggs');
    assert.equal(await cache.delete('key1'), false);
    assert.equal(await cache.delete('never-set'), false);
  },

  async 'add stores only when the key is absent'(h) {
    const cache = h.cache();
    assert.equal(await cache.add('addkey', 'value'), 'stored');
    assert.equal(await cache.add('addkey', 'newvalue'), 'exists');
    assert.equal(await cache.get('addkey'), 'value');
    await cache.delete('addkey');
    assert.equal(await cache.add('addkey', 'again'), 'stored');
    assert.equal(await cache.get('addkey'), 'again');
  },

  async 'add does not replace a stored null or a stored falsy value'(h) {
    const cache = h.cache();
    await cache.set('null', null);
    await cache.set('zero', 0);
    assert.equal(await cache.add('null', 'other'), 'exists');
    assert.equal(await cache.add('zero', 1), 'exists');
    assert.equal(await cache.get('null'), null);
    assert.equal(await cache.get('zero'), 0);
  },

  async 'concurrent adds of one key: exactly one is stored'(h) {
    const cache = h.cache();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.add('contended', i)));
    assert.equal(results.filter((result) => result === 'stored').length, 1, results.join(' '));
    const winner = results.indexOf('stored');
    assert.equal(await cache.get('contended'), winner);
  },

  async 'a closed cache rejects every operation with E_CLOSED'(h) {
    const cache = h.cache();
    await cache.set('key', 'value');
    await cache.clear(); // clean up now: after close() the harness cannot
    await cache.close();
    await cache.close(); // idempotent
    await rejectsWithCode(cache.get('key'), 'E_CLOSED', 'get');
    await rejectsWithCode(cache.set('key', 1), 'E_CLOSED', 'set');
    await rejectsWithCode(cache.clear(), 'E_CLOSED', 'clear');
  },
});
