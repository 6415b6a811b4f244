import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeInvalidation, encodeInvalidation } from './invalidation-message.js';

describe('invalidation messages', () => {
  it('round-trip keys (any Unicode), prefixes and "all"', () => {
    const keys = ['app:1:user', 'app:1:ключ 🔑', 'a"b\\c'];
    const message = { origin: 'o-1', sentAt: 1_700_000_000_123, keys, prefixes: ['app/'], all: false };
    assert.deepEqual(decodeInvalidation(encodeInvalidation(message)), message);
    const all = { origin: 'o-1', sentAt: 5, keys: [], prefixes: [], all: true };
    assert.deepEqual(decodeInvalidation(encodeInvalidation(all)), all);
  });

  it('rejects what is not a message of this format', () => {
    for (const text of [
      'not json',
      'null',
      '[]',
      '{"v":2,"o":"x","t":1}',
      '{"v":1,"t":1}',
      '{"v":1,"o":"x","t":"1"}',
      '{"v":1,"o":"x","t":1,"k":[1]}',
      '{"v":1,"o":"x","t":1,"p":"p"}',
    ])
      assert.equal(decodeInvalidation(text), undefined, text);
  });
});
