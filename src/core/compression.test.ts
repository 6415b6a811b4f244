import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { createCompressor, decompress, deflateOptions } from './compression.js';

/** Rows like a cached query result: ids, prices, names, hex text, timestamps. */
function rowsJson(count: number): Buffer {
  const rows = Array.from({ length: count }, (_, i) => [
    String(i * 7919),
    String(i % 100),
    `${(i * 37) % 1000}.50`,
    `Product ${i}`,
    `${createHash('md5').update(String(i)).digest('hex')} `.repeat(4).slice(0, 100),
    `2026-01-${String((i % 28) + 1).padStart(2, '0')} 10:15:00+00`,
  ]);
  return Buffer.from(JSON.stringify({ command: 'SELECT', rows }));
}

describe('compression', () => {
  it('sizes the deflate window to the input: small state for small values, the default from 32 KiB on', () => {
    assert.deepEqual(deflateOptions(0, undefined), { windowBits: 9, memLevel: 2 });
    assert.deepEqual(deflateOptions(1024, undefined), { windowBits: 11, memLevel: 4 });
    assert.deepEqual(deflateOptions(3300, 6), { windowBits: 12, memLevel: 5, level: 6 });
    assert.deepEqual(deflateOptions(40_000, undefined), { windowBits: 15, memLevel: 8 });
    assert.deepEqual(deflateOptions(10_000_000, 1), { windowBits: 15, memLevel: 8, level: 1 });
  });

  it('round-trips every size and level, readable by a default inflate, within 1 % of the default size', () => {
    for (const algorithm of ['gzip', 'deflate'] as const) {
      const id = algorithm === 'gzip' ? 1 : 2;
      for (const level of [undefined, 1, 6, 9]) {
        const compressor = createCompressor(level === undefined ? { algorithm } : { algorithm, level });
        assert.ok(compressor);
        for (const rows of [0, 1, 5, 20, 100, 1000]) {
          const input = rowsJson(rows);
          const packed = compressor.compress(input);
          assert.deepEqual(Buffer.from(decompress(id, packed, undefined, 1e8)), input);
          const inflate = algorithm === 'gzip' ? zlib.gunzipSync : zlib.inflateRawSync;
          assert.deepEqual(inflate(packed), input, 'a reader with zlib defaults decodes it');
          const options = level === undefined ? {} : { level };
          const reference = (algorithm === 'gzip' ? zlib.gzipSync : zlib.deflateRawSync)(input, options);
          assert.ok(
            packed.byteLength <= Math.ceil(reference.byteLength * 1.01) + 2,
            `${algorithm} level ${level} ${input.byteLength} bytes: ${packed.byteLength} vs default ${reference.byteLength}`,
          );
        }
      }
    }
  });
});
