import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSerializer, taggedJson } from './json-serializer.js';

const json = jsonSerializer();
const roundTrip = (value: unknown) => json.deserialize(json.serialize(value));

describe('jsonSerializer', () => {
  it('keeps the types JSON cannot express', () => {
    const value = {
      date: new Date(1_700_000_000_123),
      big: 2n ** 70n,
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set(['x'])],
      ]),
      set: new Set([1, 'two']),
      buffer: Buffer.from([0, 1, 255]),
      bytes: new Uint8Array([9, 8]),
      undef: undefined,
      list: [1, undefined, 3],
      special: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0],
      invalidDate: new Date(Number.NaN),
    };
    const back = roundTrip(value) as typeof value;
    assert.deepEqual(back.date, value.date);
    assert.equal(back.big, value.big);
    assert.deepEqual(back.map, value.map);
    assert.deepEqual(back.set, value.set);
    assert.deepEqual([...back.buffer], [0, 1, 255]);
    assert.deepEqual([...back.bytes], [9, 8]);
    assert.ok('undef' in back && back.undef === undefined);
    assert.deepEqual(back.list, [1, undefined, 3]);
    assert.ok(Number.isNaN(back.special[0]));
    assert.equal(back.special[1], Number.POSITIVE_INFINITY);
    assert.ok(Object.is(back.special[3], -0));
    assert.ok(Number.isNaN(back.invalidDate.getTime()));
    assert.equal(roundTrip(undefined), undefined);
  });

  it('never reads user data as a tag: keys starting with U+0000 are escaped', () => {
    const tricky = { '\u0000': 'D', v: 5, '\u0000\u0000x': 1, nested: { '\u0000': 'U' } };
    assert.deepEqual(roundTrip(tricky), tricky);
    assert.deepEqual(roundTrip(['\u0000', { v: '\u0000' }]), ['\u0000', { v: '\u0000' }]);
  });

  it('writes plain values as plain JSON', () => {
    assert.equal(
      Buffer.from(json.serialize({ a: [1, 'b', null, true] })).toString(),
      '{"a":[1,"b",null,true]}',
    );
  });

  it('refuses functions and symbols instead of dropping them', () => {
    assert.throws(() => json.serialize({ f() {} }), /function cannot be cached/);
    assert.throws(() => json.serialize([Symbol('s')]), /symbol cannot be cached/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => json.serialize(cycle), TypeError);
  });

  it('rejects bytes that are not UTF-8 JSON', () => {
    assert.throws(() => json.deserialize(Buffer.from([0xff, 0xfe])));
    assert.throws(() => json.deserialize(Buffer.from('{"unterminated":')));
    assert.throws(() => json.deserialize(Buffer.from('{"\\u0000":"?"}')), /unknown JSON tag/);
  });

  it('writes the same bytes with or without the fast path, for any value (10,000 random ones)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const leaf = (): unknown =>
      pick([
        () => 'text',
        () => '\u0000x',
        () => '',
        () => Math.floor(random() * 1000) - 500,
        () => random(),
        () => -0,
        () => Number.NaN,
        () => Number.POSITIVE_INFINITY,
        () => true,
        () => null,
        () => undefined,
        () => 12n,
        () => new Date(1_700_000_000_000),
        () => Buffer.from('ab'),
        () => new Map([['k', 1]]),
        () => new Set([1]),
        () => ({ toJSON: () => 'custom' }),
        () =>
          new (class Point {
            x = 1;
          })(),
        () => Object.create(null),
      ])();
    const value = (depth: number): unknown => {
      // Mostly plain: the fast path must be taken often, and special values appear rarely and deep.
      const roll = random();
      if (depth > 4 || roll < 0.3) return random() < 0.9 ? pick(['a', 1, 2.5, true, null, 'é']) : leaf();
      if (roll < 0.65) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const record: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 4); i > 0; i--)
        record[random() < 0.05 ? '\u0000k' : `k${i}`] = value(depth + 1);
      return record;
    };
    let plainOnes = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = value(0);
      const expected = taggedJson(v);
      assert.equal(Buffer.from(json.serialize(v)).toString(), expected);
      try {
        if (expected === JSON.stringify(v)) plainOnes++;
      } catch {
        // a BigInt: not plain
      }
    }
    assert.ok(plainOnes > 5_000, `mostly plain values (${plainOnes})`);
  });

  it('leaves values nested deeper than it looks to the replacer, which keeps their types', () => {
    let deep: unknown = new Date(5);
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.equal(Buffer.from(json.serialize(deep)).toString(), taggedJson(deep));
    let back = roundTrip(deep);
    for (let i = 0; i < 100; i++) back = (back as unknown[])[0];
    assert.deepEqual(back, new Date(5));
  });
});
