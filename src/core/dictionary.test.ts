import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { MAX_DICTIONARY_BYTES, trainDictionary } from './dictionary.js';

const DOMAINS = ['gmail.com', 'example.org', 'mail.ru', 'icloud.com'];
function profile(i: number): Uint8Array {
  const name = `user${(i * 7919) % 100_003}`;
  return Buffer.from(
    JSON.stringify({
      id: i,
      username: name,
      email: `${name}@${DOMAINS[i % 4]}`,
      isActive: i % 3 !== 0,
      isStaff: false,
      karma: (i * 31) % 9000,
    }),
  );
}

describe('trainDictionary', () => {
  it('makes small values compress far better than deflate alone', () => {
    const dictionary = trainDictionary(Array.from({ length: 300 }, (_, i) => profile(i)));
    assert.ok(dictionary.byteLength > 0 && dictionary.byteLength <= MAX_DICTIONARY_BYTES);
    let plain = 0;
    let withDictionary = 0;
    for (let i = 10_000; i < 10_200; i++) {
      const value = profile(i);
      plain += zlib.deflateRawSync(value, { level: 9 }).byteLength;
      const compressed = zlib.deflateRawSync(value, { level: 9, dictionary });
      withDictionary += compressed.byteLength;
      assert.deepEqual(zlib.inflateRawSync(compressed, { dictionary }), Buffer.from(value));
    }
    assert.ok(withDictionary < plain * 0.6, `with dictionary ${withDictionary} B vs ${plain} B without`);
  });

  it('respects maxBytes and survives empty or tiny input', () => {
    assert.ok(
      trainDictionary(
        Array.from({ length: 300 }, (_, i) => profile(i)),
        256,
      ).byteLength <= 256,
    );
    assert.equal(trainDictionary([]).byteLength, 0);
    assert.equal(trainDictionary([Buffer.from('ab')]).byteLength, 2);
  });
});
