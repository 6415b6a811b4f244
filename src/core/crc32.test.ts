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

test('bytes followed by their CRC-32, little-endian, have the constant CRC the envelope checks', () => {
  for (const text of ['', 'a', 'hello world', 'x'.repeat(1000)]) {
    const bytes = Buffer.from(text);
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(crc32(bytes));
    assert.equal(crc32(Buffer.concat([bytes, sum])), 0x2144df1c, text.slice(0, 10));
    assert.equal(crc32Table(Buffer.concat([bytes, sum])), 0x2144df1c);
  }
});
