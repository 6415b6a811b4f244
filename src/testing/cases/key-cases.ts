/**
 * Keys: prefix isolation, a custom key function, and keys that look alike but
 * must not collide. Key validation has its own file.
 */
import assert from 'node:assert/strict';
import { rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

/** Prefixes and key functions. */
export const keyCases = defineCases('keys', {
  async 'two caches with different prefixes on one store do not see each other’s keys'(h) {
    const a = h.cache();
    const b = h.cache({ prefix: h.otherPrefix('b') });
    await a.set('shared', 'from a');
    assert.equal(await b.get('shared'), undefined);
    assert.equal(await b.has('shared'), false);
    assert.equal(await b.add('shared', 'from b'), 'stored');
    assert.equal(await a.get('shared'), 'from a');
    assert.equal(await b.get('shared'), 'from b');
    await a.set('counter', 1);
    await b.set('counter', 100);
    assert.equal(await a.incr('counter'), 2);
    assert.equal(await b.get('counter'), 100);
    assert.equal(await a.delete('shared'), true);
    assert.equal(await b.get('shared'), 'from b');
    assert.deepEqual(
      await b.getMany(['shared', 'counter']),
      new Map<string, unknown>([
        ['shared', 'from b'],
        ['counter', 100],
      ]),
    );
  },

  async 'a prefix that starts with another prefix stays apart from it'(h) {
    const a = h.cache({ prefix: h.otherPrefix('a') });
    const a2 = h.cache({ prefix: h.otherPrefix('a2') });
    await a.set('key', 'a');
    await a2.set('key', 'a2');
    await a.clear();
    assert.equal(await a.get('key'), undefined);
    assert.equal(await a2.get('key'), 'a2');
  },

  async 'the stored key is prefix:version:key'(h) {
    const cache = h.cache();
    await cache.set('layout', 'x');
    await cache.set('layout', 'y', { version: 7 });
    assert.ok((await h.raw(h.storedKey('layout'))) !== undefined, 'prefix:1:layout is in the store');
    assert.ok((await h.raw(h.storedKey('layout', 7))) !== undefined, 'prefix:7:layout is in the store');
    assert.equal(cache.prefix, h.prefix);
    assert.equal(cache.version, 1);
  },

  async 'a custom key function builds the stored keys of every operation'(h) {
    const keyFunction = (key: string, prefix: string, version: number) =>
      `${prefix}:custom-${version}-${key}`;
    const custom = h.cache({ keyFunction });
    const plain = h.cache();
    await custom.set('answer', 42);
    assert.equal(await plain.get('answer'), undefined, 'the default layout does not find it');
    assert.ok((await h.raw(`${h.prefix}:custom-1-answer`)) !== undefined, 'the store holds the custom key');
    assert.equal(await custom.get('answer'), 42);
    assert.equal(await custom.incr('answer'), 43);
    assert.deepEqual(await custom.setMany({ a: 1, b: 2 }), []);
    assert.ok((await h.raw(`${h.prefix}:custom-1-b`)) !== undefined, 'setMany used the key function');
    assert.deepEqual(
      await custom.getMany(['a', 'b']),
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    assert.equal(await custom.incrVersion('a'), 2);
    assert.ok((await h.raw(`${h.prefix}:custom-2-a`)) !== undefined, 'incrVersion used the key function');
    assert.equal(await custom.deleteMany(['b']), 1);
    assert.equal(await custom.has('b'), false);
    await custom.clear();
    assert.equal(await custom.get('answer'), undefined);
  },

  async 'keys that look alike never collide'(h) {
    const cache = h.cache();
    const keys = [
      'a',
      'A',
      'a:',
      ':a',
      'a:1',
      '1:a',
      'a/b',
      'a#1',
      'a%3A1',
      '',
      ':',
      'é', // U+00E9
      'e\u0301', // e + combining acute: renders the same, is a different key
      '1',
      '01',
    ];
    for (const [index, key] of keys.entries()) await cache.set(key, index);
    for (const [index, key] of keys.entries())
      assert.equal(await cache.get(key), index, `key ${JSON.stringify(key)}`);
    // A key holding a version-like segment does not reach another version's entry.
    await cache.set('x', 'v2', { version: 2 });
    await cache.set('2:x', 'v1 key "2:x"');
    assert.equal(await cache.get('x', { version: 2 }), 'v2');
  },

  async 'keys with lone UTF-16 surrogates are E_INVALID_KEY, whatever keyValidation says'(h) {
    // UTF-8 has no form for them: Redis would store all of these as one key, U+FFFD.
    const cache = h.cache({ keyValidation: 'off' });
    for (const key of ['\ud800', '\udc00', 'a\ud800b', '\udc00\ud800', '\ud83d']) {
      const shown = JSON.stringify(key);
      await rejectsWithCode(cache.set(key, 1), 'E_INVALID_KEY', `set ${shown}`);
      await rejectsWithCode(cache.get(key), 'E_INVALID_KEY', `get ${shown}`);
      await rejectsWithCode(cache.getOrSet(key, 1), 'E_INVALID_KEY', `getOrSet ${shown}`);
      await rejectsWithCode(cache.getMany([key]), 'E_INVALID_KEY', `getMany ${shown}`);
      await rejectsWithCode(cache.namespace('ns').set(key, 1), 'E_INVALID_KEY', `namespace set ${shown}`);
    }
    await cache.set('\ud83d\ude00', 'a pair'); // a well-formed surrogate pair is one code point
    assert.equal(await cache.get('\ud83d\ude00'), 'a pair');
    assert.equal(await cache.get('\ufffd'), undefined);
    assert.throws(() => cache.namespace('\ud800'), /E_INVALID_NAMESPACE|namespace/);
  },
});
