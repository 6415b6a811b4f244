/**
 * What the memory benchmark needs from a codec: bytes in, value out. These are
 * small stand-alone codecs so the benchmark runs before the library's own codecs
 * exist; `larder`'s serializers can be wrapped in the same shape later.
 */

/** A codec whose stored form is text, read back from the client as a string. */
export interface StringCodec {
  readonly name: string;
  readonly readAs: 'string';
  encode(value: unknown): string;
  decode(text: string): unknown;
}

/** A codec whose stored form is bytes, read back from the client as a Buffer. */
export interface BufferCodec {
  readonly name: string;
  readonly readAs: 'buffer';
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
}

/** Either kind of codec. */
export type ValueCodec = StringCodec | BufferCodec;

/**
 * Bytes of envelope in front of every stored value, so sizes are honest: the
 * library's envelope has a magic byte, a format version and a flags byte.
 */
export const HEADER_BYTES = 3;

const HEADER = Buffer.from([0xc1, 0x01, 0x00]);

/** `payload` with the benchmark header in front. */
export function withHeader(payload: Uint8Array, headerBytes = HEADER_BYTES): Buffer {
  const out = Buffer.allocUnsafe(headerBytes + payload.byteLength);
  out.fill(0, 0, headerBytes);
  HEADER.copy(out, 0, 0, Math.min(headerBytes, HEADER.length));
  out.set(payload, headerBytes);
  return out;
}

/**
 * The payload of a stored value, after checking the header the way a reader
 * must (a foreign value is a miss, not a crash).
 */
export function withoutHeader(bytes: Buffer, headerBytes = HEADER_BYTES): Buffer {
  if (bytes[0] !== 0xc1 || bytes[1] !== 0x01) throw new Error('not a benchmark envelope');
  return bytes.subarray(headerBytes);
}
