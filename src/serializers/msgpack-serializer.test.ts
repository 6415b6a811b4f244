import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { msgpackSerializer } from './msgpack-serializer.js';

const msgpack = msgpackSerializer();
const roundTrip = (value: unknown) => msgpack.deserialize(msgpack.serialize(value));

describe('msgpackSerializer', () => {
  it('tells Maps from objects at any depth, with any key types', () => {
    const value = {
      plain: { a: 1 },
      map: new Map<unknown, unknown>([
        ['inner', new Map([[1, 2]])],
        [{ objectKey: true }, [new Map()]],
      ]),
      set: new Set<unknown>([1, new Map([['q', 1]])]),
      list: [{ x: new Map([['z', 0]]) }],
    };
    assert.deepEqual(roundTrip(value), value);
    assert.ok(!((roundTrip({ a: 1 }) as object) instanceof Map));
  });

  it('keeps Date, BigInt, Set, binary and undefined', () => {
    const value = {
      d: new Date(1_700_000_000_123),
      big: 2n ** 70n,
      small: 5n,
      s: new Set(['a']),
      b: Buffer.from([1, 2]),
      u: undefined,
    };
    assert.deepEqual(roundTrip(value), value);
  });

  it('does not change or copy the caller value', () => {
    const inner = new Map([['k', 'v']]);
    const value = { inner, list: [inner] };
    msgpack.serialize(value);
    assert.equal(value.inner, inner);
    assert.ok(value.list[0] instanceof Map);
  });

  it('writes objects as plain MessagePack maps that any reader understands', () => {
    assert.deepEqual(new Packr({ useRecords: false }).unpack(msgpack.serialize({ a: [1, 'b'] })), {
      a: [1, 'b'],
    });
  });

  it('refuses functions instead of dropping them', () => {
    assert.throws(() => msgpack.serialize({ nested: { f() {} } }), /functions cannot be cached/);
  });
});
