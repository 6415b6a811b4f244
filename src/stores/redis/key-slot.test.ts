import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupBySlot, hashTagOf, keySlot, SLOT_COUNT } from './key-slot.js';

describe('keySlot', () => {
  it('matches the CRC16 vector of the Redis Cluster specification', () => {
    // The spec's test vector: CRC16/XMODEM("123456789") = 0x31C3 = 12739.
    assert.equal(keySlot('123456789'), 12739);
  });

  it('matches slots Redis reports with CLUSTER KEYSLOT', () => {
    // Values from `redis-cli CLUSTER KEYSLOT <key>`; also cross-checked against
    // a live cluster-enabled server in redis-store.integration.test.ts.
    assert.equal(keySlot('foo'), 12182);
    assert.equal(keySlot('bar'), 5061);
    assert.equal(keySlot('hello'), 866);
    assert.equal(keySlot(''), 0);
  });

  it('hashes only the hash tag when there is one', () => {
    assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
    assert.equal(keySlot('{user1000}.followers'), keySlot('user1000'));
    assert.equal(keySlot('larder:1:{tenant-7}:profile'), keySlot('tenant-7'));
  });

  it('follows the edge cases of the hash tag rule', () => {
    // The first `{` and the first `}` after it; an empty tag means the whole key.
    assert.equal(keySlot('foo{}{bar}'), keySlot('foo{}{bar}'));
    assert.deepEqual(Buffer.from(hashTagOf(Buffer.from('foo{}{bar}'))).toString(), 'foo{}{bar}');
    assert.deepEqual(Buffer.from(hashTagOf(Buffer.from('foo{{bar}}zap'))).toString(), '{bar');
    assert.deepEqual(Buffer.from(hashTagOf(Buffer.from('foo{bar}{zap}'))).toString(), 'bar');
    assert.deepEqual(Buffer.from(hashTagOf(Buffer.from('foo{bar'))).toString(), 'foo{bar');
    assert.deepEqual(Buffer.from(hashTagOf(Buffer.from('foo}bar{'))).toString(), 'foo}bar{');
    assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'));
    assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar'));
  });

  it('hashes strings as UTF-8 and gives bytes the same slot as their string', () => {
    for (const key of ['ключ', '鍵', 'emoji-😀', 'tag{ünï}x']) {
      assert.equal(keySlot(key), keySlot(Buffer.from(key, 'utf8')));
    }
  });

  it('always lands in 0..16383', () => {
    for (let i = 0; i < 2000; i++) {
      const slot = keySlot(`key:${i}:${Math.random()}`);
      assert.ok(Number.isInteger(slot) && slot >= 0 && slot < SLOT_COUNT);
    }
  });
});

describe('groupBySlot', () => {
  it('groups keys by slot, in order of first appearance, remembering positions', () => {
    const keys = ['{a}1', 'foo', '{a}2', 'bar', '{a}3', 'foo'];
    const groups = groupBySlot(keys);
    assert.deepEqual(
      groups.map((group) => ({ keys: group.keys, indexes: group.indexes })),
      [
        { keys: ['{a}1', '{a}2', '{a}3'], indexes: [0, 2, 4] },
        { keys: ['foo', 'foo'], indexes: [1, 5] },
        { keys: ['bar'], indexes: [3] },
      ],
    );
    assert.deepEqual(
      groups.map((group) => group.slot),
      [keySlot('a'), keySlot('foo'), keySlot('bar')],
    );
  });

  it('covers every key exactly once', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `larder:1:k${i}`);
    const seen = groupBySlot(keys).flatMap((group) => group.indexes);
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      keys.map((_, i) => i),
    );
  });

  it('groups byte keys like their strings', () => {
    const keys = ['x{1}', 'y', 'z{1}'];
    const fromBytes = groupBySlot(keys.map((key) => Buffer.from(key)));
    assert.deepEqual(
      fromBytes.map((group) => group.indexes),
      groupBySlot(keys).map((group) => group.indexes),
    );
  });

  it('returns no groups for no keys', () => {
    assert.deepEqual(groupBySlot([]), []);
  });
});
