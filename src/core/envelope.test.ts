import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { createCompressor } from './compression.js';
import { crc32 } from './crc32.js';
import { type Codec, decodeEntry, encodeEntry, encodeEntryInBackground } from './envelope.js';
import { LarderError } from './errors.js';
import { jsonSerializer } from './json-serializer.js';

/** Bytes followed by their CRC-32: a well-formed format-2 envelope around them. */
function sealed(bytes: Uint8Array): Buffer {
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(bytes));
  return Buffer.concat([bytes, sum]);
}

function codec(
  compression: Parameters<typeof createCompressor>[0] = false,
  maxValueBytes = 16 * 1024 * 1024,
): Codec {
  const serializer = jsonSerializer();
  return {
    serializer,
    serializers: new Map([[serializer.id, serializer]]),
    compressor: createCompressor(compression),
    dictionary: compression === false ? undefined : compression.dictionary,
    standaloneBuffers: false,
    maxValueBytes,
  };
}

function decodeFails(bytes: Uint8Array, c = codec()): LarderError {
  try {
    decodeEntry(bytes, c);
  } catch (error) {
    assert.ok(error instanceof LarderError);
    assert.equal(error.code, 'E_DECODE');
    return error;
  }
  assert.fail('expected E_DECODE');
}

describe('envelope', () => {
  it('stores safe integers as raw ASCII digits (so Redis INCRBY works)', () => {
    assert.equal(Buffer.from(encodeEntry(42, codec())).toString(), '42');
    assert.equal(Buffer.from(encodeEntry(-7, codec())).toString(), '-7');
    assert.equal(decodeEntry(Buffer.from('-7'), codec()).value, -7);
    // Not raw: floats, -0, unsafe integers and bigints keep their type through the serializer.
    for (const value of [1.5, -0, 2 ** 60, 5n]) {
      const bytes = encodeEntry(value, codec());
      assert.equal(bytes[0], 0xc1);
      assert.ok(Object.is(decodeEntry(bytes, codec()).value, value));
    }
  });

  it('has a 3-byte header and a 4-byte checksum without meta', () => {
    const bytes = encodeEntry('x', codec());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xc1, 2, 2]);
    assert.equal(bytes.byteLength, 3 + Buffer.byteLength('"x"') + 4);
    assert.equal(
      Buffer.from(bytes).readUInt32LE(bytes.byteLength - 4),
      crc32(bytes.subarray(0, bytes.byteLength - 4)),
    );
  });

  it('reads format 1 (no checksum) as E_DECODE: a clean miss, not unverified bytes', () => {
    const v1 = Buffer.concat([Buffer.from([0xc1, 1, 2]), Buffer.from('"x"')]);
    assert.match(decodeFails(v1).message, /format 1/);
  });

  it('reads only canonical digits as raw integers', () => {
    for (const text of ['0042', '-0', '+1', '00', '1 ', ' 1', '-']) decodeFails(Buffer.from(text, 'latin1'));
    for (const value of [0, 7, -7, 42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])
      assert.equal(decodeEntry(Buffer.from(String(value), 'latin1'), codec()).value, value);
  });

  it('round-trips meta instants, and values stay readable', () => {
    const meta = { createdAt: 1_700_000_000_123, staleAt: 1_700_000_060_123, computeMs: 17 };
    const decoded = decodeEntry(encodeEntry({ a: 1 }, codec(), meta), codec());
    assert.deepEqual(decoded.meta, meta);
    assert.deepEqual(decoded.value, { a: 1 });
    assert.deepEqual(decodeEntry(encodeEntry(3, codec(), { createdAt: 5 }), codec()).meta, {
      createdAt: 5,
      staleAt: undefined,
      computeMs: undefined,
    });
  });

  it('compresses above the threshold, flags the algorithm, and leaves small values alone', () => {
    for (const algorithm of ['gzip', 'deflate', 'brotli'] as const) {
      const c = codec({ algorithm, thresholdBytes: 100 });
      const big = 'abc'.repeat(1000);
      const bytes = encodeEntry(big, c);
      assert.ok(bytes.byteLength < 200, `${algorithm} compressed`);
      assert.notEqual((bytes[2] ?? 0) >> 4, 0);
      assert.equal(decodeEntry(bytes, c).value, big);
      // A reader configured without compression still reads it: the id is in the envelope.
      assert.equal(decodeEntry(bytes, codec()).value, big);
      assert.equal((encodeEntry('small', c)[2] ?? 0) >> 4, 0);
    }
  });

  it('encodes in the background (compression on the thread pool) to the very same bytes', async () => {
    const meta = { createdAt: 1_700_000_000_000, staleAt: 1_700_000_060_000, tags: ['t'], generations: [7] };
    const dictionary = Buffer.from('{"name":"Product ","price":"description"}'.repeat(4));
    const settings = [
      false,
      { algorithm: 'gzip' },
      { algorithm: 'deflate', level: 1 },
      { algorithm: 'brotli' },
      { algorithm: 'deflate', dictionary },
    ] as const;
    for (const compression of settings) {
      const c = codec(compression);
      for (const value of [42, 'short', { rows: 'x'.repeat(3000), n: [1, 2, 3] }]) {
        for (const m of [undefined, meta]) {
          const sync = encodeEntry(value, c, m);
          assert.deepEqual(Buffer.from(await encodeEntryInBackground(value, c, m)), Buffer.from(sync));
          assert.deepEqual(decodeEntry(sync, c).value, value);
        }
      }
    }
  });

  it('keeps the original when compression would not shrink it', () => {
    const c = codec({ algorithm: 'gzip', thresholdBytes: 1 });
    const random = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7919) % 251)).toString('base64');
    const bytes = encodeEntry(random, c);
    assert.equal((bytes[2] ?? 0) >> 4, 0);
  });

  it('deflate with a dictionary records the dictionary checksum and refuses another dictionary', () => {
    const dictionary = Buffer.from('{"username":"","email":"@example.com","isActive":true}');
    const c = codec({ algorithm: 'deflate', thresholdBytes: 0, dictionary });
    const value = { username: 'ann', email: 'ann@example.com', isActive: true };
    const bytes = encodeEntry(value, c);
    assert.deepEqual(decodeEntry(bytes, c).value, value);
    const other = codec({
      algorithm: 'deflate',
      thresholdBytes: 0,
      dictionary: Buffer.from('something else entirely'),
    });
    assert.match(decodeFails(bytes, other).message, /another compression dictionary/);
  });

  it('reads corrupt, truncated and foreign bytes as E_DECODE, never anything else', () => {
    const good = encodeEntry({ hello: 'world' }, codec({ algorithm: 'gzip', thresholdBytes: 0 }));
    decodeFails(new Uint8Array());
    decodeFails(Buffer.from('{"json":"from another app"}'));
    decodeFails(Buffer.from([0xc1]));
    decodeFails(Buffer.from([0xc1, 9, 2, 0x22]), codec());
    decodeFails(Buffer.from([0xc1, 1, 0x0f, 1]));
    decodeFails(sealed(Buffer.from([0xc1, 2, 0x0f, 1])));
    decodeFails(good.subarray(0, good.byteLength - 5));
    decodeFails(Buffer.from('12abc'));
    decodeFails(Buffer.from('99999999999999999999'));
    const flipped = Buffer.from(good);
    flipped[10] = (flipped[10] ?? 0) ^ 0xff;
    decodeFails(flipped);
  });

  it('turns an unserializable value into E_SERIALIZE with the cause', () => {
    try {
      encodeEntry({ f: () => 1 }, codec());
      assert.fail('expected E_SERIALIZE');
    } catch (error) {
      assert.ok(error instanceof LarderError);
      assert.equal(error.code, 'E_SERIALIZE');
      assert.ok(error.cause instanceof TypeError);
    }
  });

  describe('maxValueBytes', () => {
    const big = 'x'.repeat(10_000); // 10,002 bytes of JSON, compresses to a few dozen

    it('refuses to encode a value larger than maxValueBytes, naming the option', () => {
      assert.throws(
        () => encodeEntry(big, codec(false, 10_000)),
        (error: unknown) =>
          error instanceof LarderError &&
          error.code === 'E_SERIALIZE' &&
          /maxValueBytes option \(10000\)/.test(error.message),
      );
      assert.equal(decodeEntry(encodeEntry(big, codec(false, 10_002)), codec(false, 10_002)).value, big);
    });

    it('the limit applies before compression when writing', () => {
      assert.throws(() => encodeEntry(big, codec({ algorithm: 'gzip', thresholdBytes: 0 }, 10_000)), {
        code: 'E_SERIALIZE',
      });
    });

    it('reads a stored value beyond the limit as E_DECODE, uncompressed or not', () => {
      const plain = encodeEntry(big, codec());
      assert.match(decodeFails(plain, codec(false, 10_000)).message, /maxValueBytes/);
      for (const algorithm of ['gzip', 'deflate', 'brotli'] as const) {
        const compression = { algorithm, thresholdBytes: 0 };
        const bytes = encodeEntry(big, codec(compression));
        assert.ok(bytes.byteLength < 1000, `${algorithm} compressed it`);
        const error = decodeFails(bytes, codec(compression, 10_000));
        assert.match(error.message, /maxValueBytes/, algorithm);
        assert.equal(decodeEntry(bytes, codec(compression, 10_002)).value, big, `${algorithm} at the limit`);
      }
    });

    it('stops a decompression bomb at the limit instead of inflating it', () => {
      // 64 MiB of zeros gzip to ~64 KiB; a reader limited to 1 MiB never allocates the 64.
      const payload = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
      const bomb = sealed(Buffer.concat([Buffer.from([0xc1, 2, 0x02 | (1 << 4)]), payload]));
      const error = decodeFails(bomb, codec(false, 1024 * 1024));
      assert.match(error.message, /maxValueBytes/);
    });

    it('a long run of digits is foreign, not turned into a string', () => {
      decodeFails(Buffer.alloc(1024 * 1024, 0x31));
    });
  });
});
