/**
 * Compression of serialized values, from `node:zlib`. The algorithm is recorded
 * in each entry's envelope by id, so reading never guesses and a cache can change
 * algorithm without misreading older entries.
 */
import zlib from 'node:zlib';
import type { CompressionAlgorithm, CompressionOptions } from './types.js';

/** Envelope ids of the compression algorithms (4 bits; 0 = not compressed). */
export const CompressionIds = { none: 0, gzip: 1, deflate: 2, brotli: 3, deflateDictionary: 4 } as const;

/** One of the compression ids. */
export type CompressionId = (typeof CompressionIds)[keyof typeof CompressionIds];

/** A resolved compression setting: compresses, and knows how to undo any id. */
export interface Compressor {
  /** Id written into the envelope for values this compressor compresses. */
  readonly id: CompressionId;
  readonly thresholdBytes: number;
  /**
   * The low 16 bits of the preset dictionary's CRC-32 (0 without one): two bytes
   * per entry, not four, because at ~50 bytes a value sits near Redis's 44-byte
   * embedded-string cliff, where every byte counts. Two dictionaries in use at
   * once collide with a chance of 1 in 65,536, and only then can a reader inflate
   * with the wrong dictionary (which in practice fails to decode, as a miss).
   */
  readonly dictionaryId: number;
  compress(bytes: Uint8Array): Uint8Array;
}

/**
 * Build the compressor for a cache's `compression` option (validated by
 * options.ts); `undefined` when off.
 */
export function createCompressor(options: CompressionOptions | false): Compressor | undefined {
  if (options === false) return undefined;
  const thresholdBytes = options.thresholdBytes ?? 1024;
  const level = options.level;
  const dictionary = options.dictionary;
  if (dictionary !== undefined) {
    return {
      id: CompressionIds.deflateDictionary,
      thresholdBytes,
      dictionaryId: zlib.crc32(dictionary) & 0xffff,
      compress: (bytes) =>
        zlib.deflateRawSync(bytes, { dictionary, ...(level === undefined ? {} : { level }) }),
    };
  }
  return {
    id: CompressionIds[options.algorithm],
    thresholdBytes,
    dictionaryId: 0,
    compress: compressFn(options.algorithm, level),
  };
}

function compressFn(
  algorithm: CompressionAlgorithm,
  level: number | undefined,
): (bytes: Uint8Array) => Uint8Array {
  switch (algorithm) {
    case 'gzip':
      return (bytes) => zlib.gzipSync(bytes, level === undefined ? {} : { level });
    case 'deflate':
      return (bytes) => zlib.deflateRawSync(bytes, level === undefined ? {} : { level });
    case 'brotli':
      return (bytes) =>
        zlib.brotliCompressSync(bytes, {
          params: {
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
            ...(level === undefined ? {} : { [zlib.constants.BROTLI_PARAM_QUALITY]: level }),
          },
        });
  }
}

/**
 * Undo compression `id`. `dictionary` is the reader's own preset dictionary; the
 * envelope's dictionary id has already been checked against it. Output beyond
 * `maxOutputBytes` throws (see `isOutputTooLarge`): a corrupt or hostile entry
 * must not inflate without bound, nor block the event loop for long.
 */
export function decompress(
  id: number,
  bytes: Uint8Array,
  dictionary: Uint8Array | undefined,
  maxOutputBytes: number,
): Uint8Array {
  const limit = { maxOutputLength: maxOutputBytes };
  switch (id) {
    case CompressionIds.gzip:
      return zlib.gunzipSync(bytes, limit);
    case CompressionIds.deflate:
      return zlib.inflateRawSync(bytes, limit);
    case CompressionIds.brotli:
      return zlib.brotliDecompressSync(bytes, limit);
    case CompressionIds.deflateDictionary:
      if (dictionary === undefined)
        throw new Error('entry was compressed with a dictionary this cache does not have');
      return zlib.inflateRawSync(bytes, { ...limit, dictionary });
    default:
      throw new Error(`unknown compression id ${id}`);
  }
}

/** True for the error zlib throws when output would exceed `maxOutputLength`. */
export function isOutputTooLarge(error: unknown): boolean {
  return error instanceof RangeError && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}
