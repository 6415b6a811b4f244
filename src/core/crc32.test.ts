import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, crc32Table } from './crc32.js';

test('crc32 gives the standard check value for "123456789"', () => {
  const bytes = Buffer.from('123456789', 'latin1');
  assert.equal(crc32(bytes), 0xcbf43926);
  assert.equal(crc32Table(bytes), 0xcbf43926);
});

test('the table fallback agrees with the native crc32 on varied inputs', () => {
  for (let length = 0; length < 300; length += 7) {
    const bytes = Buffer.alloc(length, 0);
    for (let i = 0; i < length; i++) bytes[i] = (i * 131 + length) & 0xff;
    assert.equal(crc32Table(bytes), crc32(bytes));
  }
});
