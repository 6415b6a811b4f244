/**
 * Django's data-type, unicode and binary cases, run once per built-in serializer:
 * what goes in comes back as the same type. Known limits, stated in
 * docs/serialization.md and not asserted here: class instances come back as plain
 * objects, `Buffer` may come back as a plain `Uint8Array` (and vice versa), and
 * msgpack renames an own `__proto__` property.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Cache } from '../../core/types.js';
import { assertSameBytes } from '../assertions.js';
import { type ConformanceCase, defineCases } from '../conformance-case.js';

/** Set every value under its key, then read each back and compare. */
async function roundTrip(cache: Cache, values: Readonly<Record<string, unknown>>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await cache.set(key, value);
  for (const [key, value] of Object.entries(values)) {
    assert.deepStrictEqual(await cache.get(key), value, `value under ${JSON.stringify(key)}`);
  }
  const many = await cache.getMany(Object.keys(values));
  assert.deepStrictEqual(many, new Map(Object.entries(values)), 'getMany');
}

/** The data-type cases for one serializer. */
export function dataTypeCases(serializer: 'msgpack' | 'json'): ConformanceCase[] {
  return defineCases(`data types (${serializer})`, {
    async 'strings, numbers, booleans and null keep their type'(h) {
      await roundTrip(h.cache({ serializer }), {
        string: 'hello',
        digits: '42', // a string of digits stays a string
        negativeDigits: '-7',
        integer: 42,
        negative: -42,
        zero: 0,
        float: 1.5,
        maxSafe: Number.MAX_SAFE_INTEGER,
        minSafe: Number.MIN_SAFE_INTEGER,
        unsafeInteger: 2 ** 60,
        nan: Number.NaN,
        infinity: Number.POSITIVE_INFINITY,
        negativeInfinity: Number.NEGATIVE_INFINITY,
        yes: true,
        no: false,
        null: null,
      });
    },

    async '-0 keeps its sign'(h) {
      const cache = h.cache({ serializer });
      await cache.set('negative-zero', -0);
      await cache.set('nested', { value: -0, list: [-0] });
      assert.ok(Object.is(await cache.get('negative-zero'), -0), 'top-level -0 came back as 0');
      assert.deepStrictEqual(await cache.get('nested'), { value: -0, list: [-0] });
    },

    async 'unicode keys and values'(h) {
      const cache = h.cache({ serializer });
      const values = {
        ascii: 'ascii',
        Iñtërnâtiônàlizætiøn: 'Iñtërnâtiônàlizætiøn',
        ключ: 'значение',
        鍵: '値 and emoji 🔑👩‍👩‍👧',
        '🔑': { ключ: ['é', 'e\u0301', '\u{1F600}'] },
        'lone-surrogate-free': 'a\u{10FFFF}b',
      };
      await roundTrip(cache, values);
      assert.equal(await cache.add('鍵', 'other'), 'exists');
      assert.equal(await cache.delete('ключ'), true);
      assert.equal(await cache.has('ключ'), false);
      await cache.set('счётчик', 1);
      assert.equal(await cache.incr('счётчик'), 2);
    },

    async 'binary values: Buffer, Uint8Array, views at an offset, empty'(h) {
      const cache = h.cache({ serializer });
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const backing = new Uint8Array([9, 9, 9, 1, 2, 3, 9, 9]);
      const samples: Record<string, Uint8Array> = {
        buffer: everyByte,
        uint8array: new Uint8Array([0, 1, 2, 253, 254, 255]),
        view: backing.subarray(3, 6), // only the view's bytes, not its backing buffer
        empty: new Uint8Array(0),
        random: randomBytes(4096),
      };
      for (const [key, bytes] of Object.entries(samples)) {
        await cache.set(key, bytes);
        assertSameBytes(await cache.get(key), bytes, key);
      }
      await cache.set('nested', { data: samples.view, list: [samples.uint8array] });
      const nested = (await cache.get('nested')) as { data: unknown; list: unknown[] };
      assertSameBytes(nested.data, backing.subarray(3, 6), 'nested.data');
      assertSameBytes(nested.list[0], new Uint8Array([0, 1, 2, 253, 254, 255]), 'nested.list[0]');
    },

    async 'Date, BigInt, Map and Set, also nested in each other'(h) {
      await roundTrip(h.cache({ serializer }), {
        date: new Date('2024-02-29T12:34:56.789Z'),
        epoch: new Date(0),
        beforeEpoch: new Date(-86_400_123),
        bigint: 12345678901234567890123n,
        negativeBigint: -(2n ** 70n),
        zeroBigint: 0n,
        map: new Map<unknown, unknown>([
          ['string', 1],
          [2, 'number key'],
          ['nested', new Map([['deep', new Set([1, 'two'])]])],
        ]),
        set: new Set<unknown>(['a', 1, null, new Date(5)]),
        emptyMap: new Map(),
        emptySet: new Set(),
        mixed: {
          when: new Date(1_700_000_000_000),
          ids: new Set([1n, 2n]),
          byId: new Map([[1, { name: 'x' }]]),
        },
      });
    },

    async 'nested objects and arrays, including keys that look like type tags'(h) {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 40; i++) deep = { level: i, child: deep, list: [i, [i]] };
      await roundTrip(h.cache({ serializer }), {
        object: { a: 1, b: 'two', c: [3, { d: 4 }], e: { f: { g: null } } },
        array: [1, 'two', [3, [4, [5]]], { six: 6 }],
        deep,
        emptyObject: {},
        emptyArray: [],
        // An object that happens to look like a serializer's internal tag must stay an object.
        tagLookalike: { '\u0000': 'D', v: 0 },
        tagLookalike2: { '\u0000x': 1, '\u0000\u0000': 2, __type: 'Date', $date: 0 },
        numericKeys: { 1: 'one', 10: 'ten', '-1': 'minus one' },
      });
    },

    async 'undefined inside objects, arrays and Maps is kept'(h) {
      const cache = h.cache({ serializer });
      await cache.set('object', { missing: undefined, present: 1 });
      const object = (await cache.get('object')) as Record<string, unknown>;
      assert.deepStrictEqual(object, { missing: undefined, present: 1 });
      assert.ok('missing' in object, 'the key of an undefined property is kept');
      await roundTrip(cache, {
        array: [undefined, 1, undefined],
        map: new Map([['k', undefined]]),
      });
    },

    async 'large values: 1 MiB of random bytes, a 512 KiB string, 10,000 objects'(h) {
      const cache = h.cache({ serializer });
      const bytes = randomBytes(1024 * 1024);
      await cache.set('bytes', bytes);
      assertSameBytes(await cache.get('bytes'), bytes, 'bytes');
      const text = randomBytes(384 * 1024).toString('base64'); // 512 KiB of text
      const rows = Array.from({ length: 10_000 }, (_, id) => ({
        id,
        name: `user ${id}`,
        active: id % 2 === 0,
      }));
      await roundTrip(cache, { text, rows });
    },
  });
}
