/**
 * Compression of serialized values, from `node:zlib`. The algorithm is recorded
 * in each entry's envelope by id, so reading never guesses and a cache can change
 * algorithm without misreading older entries.
 */
import { promisify } from 'node:util';
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
  /** The same bytes as `compress`, computed on libuv's thread pool. */
  compressAsync(bytes: Uint8Array): Promise<Uint8Array>;
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
    const options = { dictionary, ...(level === undefined ? {} : { level }) };
    return {
      id: CompressionIds.deflateDictionary,
      thresholdBytes,
      dictionaryId: zlib.crc32(dictionary) & 0xffff,
      compress: (bytes) => zlib.deflateRawSync(bytes, options),
      compressAsync: (bytes) => deflateRawAsync(bytes, options),
    };
  }
  return {
    id: CompressionIds[options.algorithm],
    thresholdBytes,
    dictionaryId: 0,
    compress: compressFn(options.algorithm, level),
    compressAsync: compressAsyncFn(options.algorithm, level),
  };
}

const gzipAsync = promisify(zlib.gzip);
const deflateRawAsync = promisify(zlib.deflateRaw);
const brotliAsync = promisify(zlib.brotliCompress);

/** The brotli options of one value: its size as a hint, and the quality asked for. */
function brotliOptions(bytes: Uint8Array, level: number | undefined): zlib.BrotliOptions {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
      ...(level === undefined ? {} : { [zlib.constants.BROTLI_PARAM_QUALITY]: level }),
    },
  };
}

function compressAsyncFn(
  algorithm: CompressionAlgorithm,
  level: number | undefined,
): (bytes: Uint8Array) => Promise<Uint8Array> {
  switch (algorithm) {
    case 'gzip':
      return (bytes) => gzipAsync(bytes, deflateOptions(bytes.byteLength, level));
    case 'deflate':
      return (bytes) => deflateRawAsync(bytes, deflateOptions(bytes.byteLength, level));
    case 'brotli':
      return (bytes) => brotliAsync(bytes, brotliOptions(bytes, level));
  }
}

function compressFn(
  algorithm: CompressionAlgorithm,
  level: number | undefined,
): (bytes: Uint8Array) => Uint8Array {
  switch (algorithm) {
    case 'gzip':
      return (bytes) => zlib.gzipSync(bytes, deflateOptions(bytes.byteLength, level));
    case 'deflate':
      return (bytes) => zlib.deflateRawSync(bytes, deflateOptions(bytes.byteLength, level));
    case 'brotli':
      return (bytes) => zlib.brotliCompressSync(bytes, brotliOptions(bytes, level));
  }
}

/** deflate's lookahead (MIN_LOOKAHEAD): the window must hold the input plus this to match anywhere in it. */
const LOOKAHEAD_BYTES = 262;

/**
 * A deflate window and hash no larger than the input needs. zlib's defaults
 * (a 32 KiB window, memLevel 8) allocate ~256 KiB of state per call, whatever
 * the input; for the 1–10 KiB values a cache compresses most, allocating and
 * clearing it is a good part of the work (3.3 KiB of rows at level 6: 28 µs
 * with the defaults, 21 µs sized). A window that covers the whole input finds every
 * match the default finds (a smaller hash can miss a few: the output is
 * within 1 % of the default's, see compression.test.ts); readers inflate
 * with the default window, which decodes any smaller one (the stream format
 * does not change).
 */
export function deflateOptions(inputBytes: number, level: number | undefined): zlib.ZlibOptions {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(inputBytes + LOOKAHEAD_BYTES))));
  const memLevel = Math.min(8, Math.max(1, windowBits - 7));
  return level === undefined ? { windowBits, memLevel } : { windowBits, memLevel, level };
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
