/** Django's get_many / set_many / delete_many cases. */
import assert from 'node:assert/strict';
import { assertTtlNear } from '../assertions.js';
import { defineCases } from '../conformance-case.js';
import { spyStore } from '../store-spy.js';

/** Batch operations. */
export const batchCases = defineCases('getMany/setMany/deleteMany', {
  async 'getMany returns only the keys that are present'(h) {
    const cache = h.cache();
    await cache.set('a', 'a');
    await cache.set('b', 'b');
    await cache.set('c', 'c');
    assert.deepEqual(
      await cache.getMany(['a', 'c', 'd']),
      new Map([
        ['a', 'a'],
        ['c', 'c'],
      ]),
    );
    assert.deepEqual(
      await cache.getMany(['a', 'b', 'e']),
      new Map([
        ['a', 'a'],
        ['b', 'b'],
      ]),
    );
    assert.deepEqual(await cache.getMany(['x', 'y']), new Map());
  },

  async 'getMany includes stored nulls and falsy values'(h) {
    const cache = h.cache();
    await cache.setMany({ null: null, zero: 0, empty: '', no: false });
    assert.deepEqual(
      await cache.getMany(['null', 'zero', 'empty', 'no', 'absent']),
      new Map<string, unknown>([
        ['null', null],
        ['zero', 0],
        ['empty', ''],
        ['no', false],
      ]),
    );
  },

  async 'getMany with duplicate keys returns each key once'(h) {
    const cache = h.cache();
    await cache.set('a', 1);
    const found = await cache.getMany(['a', 'a', 'missing', 'missing', 'a']);
    assert.deepEqual([...found], [['a', 1]]);
  },

  async 'getMany accepts any iterable, and no keys gives an empty Map'(h) {
    const cache = h.cache();
    await cache.setMany({ a: 1, b: 2 });
    assert.deepEqual(
      await cache.getMany(new Set(['a', 'b'])),
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    function* keys() {
      yield 'b';
      yield 'a';
    }
    assert.deepEqual(
      await cache.getMany(keys()),
      new Map([
        ['b', 2],
        ['a', 1],
      ]),
    );
    assert.deepEqual(await cache.getMany([]), new Map());
  },

  async 'setMany accepts a Map, a plain object and an iterable of pairs, and returns no failed keys'(h) {
    const cache = h.cache();
    assert.deepEqual(
      await cache.setMany(
        new Map<string, unknown>([
          ['m1', 1],
          ['m2', { two: 2 }],
        ]),
      ),
      [],
    );
    assert.deepEqual(await cache.setMany({ o1: 'one', o2: null }), []);
    assert.deepEqual(
      await cache.setMany([
        ['p1', [1]],
        ['p2', true],
      ]),
      [],
    );
    function* pairs(): Generator<readonly [string, unknown]> {
      yield ['g1', 'generated'];
    }
    assert.deepEqual(await cache.setMany(pairs()), []);
    assert.deepEqual(await cache.setMany({}), []);
    assert.deepEqual(
      await cache.getMany(['m1', 'm2', 'o1', 'o2', 'p1', 'p2', 'g1']),
      new Map<string, unknown>([
        ['m1', 1],
        ['m2', { two: 2 }],
        ['o1', 'one'],
        ['o2', null],
        ['p1', [1]],
        ['p2', true],
        ['g1', 'generated'],
      ]),
    );
  },

  async 'setMany replaces existing values'(h) {
    const cache = h.cache();
    await cache.set('a', 'old');
    await cache.setMany({ a: 'new', b: 'fresh' });
    assert.deepEqual(
      await cache.getMany(['a', 'b']),
      new Map([
        ['a', 'new'],
        ['b', 'fresh'],
      ]),
    );
  },

  async 'setMany applies the TTL to every entry'(h) {
    const cache = h.cache();
    await cache.setMany({ a: 1, b: 'two' }, { ttl: '1h' });
    assertTtlNear(await cache.ttl('a'), 3_600_000, 'a');
    assertTtlNear(await cache.ttl('b'), 3_600_000, 'b');
    await cache.setMany({ c: 1, d: 'two' }, { ttl: null });
    assert.equal(await cache.ttl('c'), null);
    assert.equal(await cache.ttl('d'), null);
    await cache.setMany({ e: 1 });
    assertTtlNear(await cache.ttl('e'), 300_000, 'e (default TTL)');
  },

  async 'setMany returns the keys the store did not store'(h) {
    const spy = spyStore(h.store, new Set([h.storedKey('b')]));
    const cache = h.cache({ store: spy.store });
    assert.deepEqual(await cache.setMany({ a: 1, b: 2, c: 3 }), ['b']);
    assert.deepEqual(
      await cache.getMany(['a', 'b', 'c']),
      new Map([
        ['a', 1],
        ['c', 3],
      ]),
    );
  },

  async 'deleteMany removes the keys and resolves how many existed'(h) {
    const cache = h.cache();
    await cache.setMany({ a: 'a', b: 'b', c: 'c' });
    assert.equal(await cache.deleteMany(['a', 'b', 'missing']), 2);
    assert.deepEqual(await cache.getMany(['a', 'b', 'c']), new Map([['c', 'c']]));
    assert.equal(await cache.deleteMany(['a', 'b']), 0);
    assert.equal(await cache.deleteMany([]), 0);
    assert.equal(await cache.deleteMany(['c', 'c']), 1);
    assert.equal(await cache.has('c'), false);
  },

  async 'a thousand keys round-trip through setMany, getMany and deleteMany'(h) {
    const cache = h.cache();
    const entries = new Map(
      Array.from({ length: 1000 }, (_, i) => [`key-${i}`, { i, text: `value ${i}` }] as const),
    );
    assert.deepEqual(await cache.setMany(entries), []);
    const found = await cache.getMany([...entries.keys(), 'absent']);
    assert.equal(found.size, 1000);
    assert.deepEqual(found, entries);
    assert.equal(await cache.deleteMany(entries.keys()), 1000);
    assert.equal((await cache.getMany(entries.keys())).size, 0);
  },
});
