import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSerializer } from './json-serializer.js';

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
});
