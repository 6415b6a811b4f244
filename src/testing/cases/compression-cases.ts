/**
 * Compression: every built-in algorithm round-trips, the stored bytes shrink,
 * the algorithm is read from the envelope (never guessed), and values below the
 * threshold or that do not shrink are stored as they are.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { CompressionAlgorithm } from '../../core/types.js';
import { assertSameBytes } from '../assertions.js';
import { defineCases } from '../conformance-case.js';
import type { Harness } from '../harness.js';

const ALGORITHMS: readonly CompressionAlgorithm[] = ['gzip', 'deflate', 'brotli'];

/** About 10 KiB of repetitive, therefore compressible, data. */
function compressibleValue(): Record<string, unknown> {
  return {
    title: 'A product description that repeats itself. '.repeat(100),
    rows: Array.from({ length: 400 }, (_, id) => ({
      id,
      sku: `SKU-${id % 10}`,
      name: 'Widget',
      inStock: id % 3 === 0,
    })),
  };
}

/** The stored size of `value` written by a cache that never compresses. */
async function uncompressedSize(h: Harness, value: unknown): Promise<number> {
  const plain = h.cache({ prefix: h.otherPrefix('plain'), compression: false });
  await plain.set('sized', value);
  const bytes = await h.raw(h.storedKey('sized', 1, plain.prefix));
  assert.ok(bytes !== undefined);
  return bytes.byteLength;
}

/** Compression. */
export const compressionCases = defineCases('compression', {
  async 'a 10 KiB compressible value round-trips with gzip, deflate and brotli, stored smaller'(h) {
    const value = compressibleValue();
    const plainSize = await uncompressedSize(h, value);
    assert.ok(plainSize > 8 * 1024, `the sample serializes to ${plainSize} bytes`);
    for (const algorithm of ALGORITHMS) {
      const cache = h.cache({ prefix: h.otherPrefix(algorithm), compression: { algorithm } });
      await cache.set('big', value);
      assert.deepStrictEqual(await cache.get('big'), value, algorithm);
      const stored = await h.raw(h.storedKey('big', 1, cache.prefix));
      assert.ok(
        stored !== undefined && stored.byteLength < plainSize / 2,
        `${algorithm}: ${stored?.byteLength} of ${plainSize} bytes`,
      );
    }
  },

  async 'an entry written with one algorithm reads in a cache set to another, or to none'(h) {
    const value = compressibleValue();
    const writers = ALGORITHMS.map((algorithm) => h.cache({ compression: { algorithm } }));
    const readers = [
      ...ALGORITHMS.map((algorithm) => h.cache({ compression: { algorithm } })),
      h.cache({ compression: false }),
    ];
    for (const [index, writer] of writers.entries()) {
      await writer.set('entry', value);
      for (const reader of readers)
        assert.deepStrictEqual(await reader.get('entry'), value, `written with ${ALGORITHMS[index]}`);
    }
  },

  async 'values below the threshold are stored uncompressed'(h) {
    const value = { small: 'x'.repeat(200) };
    const plainSize = await uncompressedSize(h, value);
    const cache = h.cache({ compression: { algorithm: 'gzip', thresholdBytes: 1024 } });
    await cache.set('small', value);
    assert.equal((await h.raw(h.storedKey('small')))?.byteLength, plainSize);
    const eager = h.cache({
      prefix: h.otherPrefix('eager'),
      compression: { algorithm: 'gzip', thresholdBytes: 64 },
    });
    await eager.set('small', value);
    const stored = await h.raw(h.storedKey('small', 1, eager.prefix));
    assert.ok(
      stored !== undefined && stored.byteLength < plainSize,
      'with a lower threshold it is compressed',
    );
  },

  async 'values that do not shrink are stored as they are'(h) {
    const noise = randomBytes(10 * 1024);
    const plainSize = await uncompressedSize(h, noise);
    const cache = h.cache({ compression: { algorithm: 'gzip', thresholdBytes: 0 } });
    await cache.set('noise', noise);
    assert.equal((await h.raw(h.storedKey('noise')))?.byteLength, plainSize);
    assertSameBytes(await cache.get('noise'), noise, 'noise');
  },

  async 'deflate with a preset dictionary reads only with the same dictionary'(h) {
    const dictionary = Buffer.from(
      '{"id":,"username":"","email":"@example.com","active":true,"createdAt":}',
      'utf8',
    );
    const other = Buffer.from('something else entirely, another deployment', 'utf8');
    const value = { id: 1, username: 'ada', email: 'ada@example.com', active: true };
    const writer = h.cache({
      serializer: 'json',
      compression: { algorithm: 'deflate', dictionary, thresholdBytes: 0 },
    });
    await writer.set('profile', value);
    assert.deepEqual(
      await h.cache({ compression: { algorithm: 'deflate', dictionary } }).get('profile'),
      value,
    );
    const strangers = [
      h.cache({ compression: { algorithm: 'deflate', dictionary: other } }),
      h.cache({ compression: false }),
    ];
    for (const stranger of strangers) {
      assert.equal(await stranger.get('profile', { default: 'miss' }), 'miss');
      assert.deepEqual(
        h.takeErrors().map((event) => event.code),
        ['E_DECODE'],
      );
    }
  },
});
