/**
 * Any payload encoding, raw-deflated with a preset dictionary, behind the
 * benchmark header.
 */
import { createDeflater, createInflater, type ZlibMode } from './dictionary-deflate.js';
import { type BufferCodec, HEADER_BYTES, withHeader, withoutHeader } from './value-codec.js';

/** The uncompressed payload encoding that the dictionary codec wraps. */
export interface PayloadEncoding {
  readonly name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** How to compress and decompress. */
export interface DictionaryCodecOptions {
  /** Built from encoded values like, but not among, the ones stored (see build-dictionary.ts). */
  readonly dictionary: Buffer;
  /** A short label for the dictionary in the codec's name. */
  readonly dictionaryLabel: string;
  /** @default 9 */
  readonly level?: number;
  /**
   * How to call zlib, both ways. Both modes write identical bytes; only the CPU
   * cost differs.
   */
  readonly mode: ZlibMode;
  readonly headerBytes?: number;
}

/** `encoding`, then deflate-raw with `options.dictionary`. */
export function dictionaryCodec(encoding: PayloadEncoding, options: DictionaryCodecOptions): BufferCodec {
  const deflate = createDeflater(options.dictionary, options.level ?? 9, options.mode);
  const inflate = createInflater(options.dictionary, options.mode);
  const headerBytes = options.headerBytes ?? HEADER_BYTES;
  return {
    name: `${encoding.name} + deflate ${options.dictionaryLabel} dict, ${options.mode === 'reused' ? 'reused zlib stream' : 'one-shot zlib'}`,
    readAs: 'buffer',
    encode: (value) => withHeader(deflate(encoding.encode(value)), headerBytes),
    decode: (bytes) => encoding.decode(inflate(withoutHeader(bytes, headerBytes))),
  };
}
