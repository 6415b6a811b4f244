/**
 * The bytes Larder stores for one entry.
 *
 * A safe integer is stored as its ASCII decimal digits, so Redis `INCRBY` works on
 * it. Everything else is an envelope:
 *
 * ```
 * byte 0   0xC1: magic (a byte MessagePack never uses and no text starts with)
 * byte 1   format version (2)
 * byte 2   bits 0-3 serializer id, bits 4-6 compression id, bit 7 "has meta"
 * [2 bytes: low 16 bits of the preset dictionary's CRC-32]  when compression id = deflate+dictionary
 * [varint n, n bytes of meta]                when bit 7 is set
 * payload  the serialized (possibly compressed) value
 * 4 bytes  CRC-32 of every byte before it, little-endian
 * ```
 *
 * The checksum is verified before anything else is read, so corrupt, truncated
 * or foreign bytes are an `E_DECODE`, never a wrong value. Format 1 (no
 * checksum) is refused as `E_DECODE` too: a clean miss, refilled in format 2,
 * rather than bytes that cannot be shown intact. Raw integers carry no checksum;
 * only their canonical form (`-?(0|[1-9][0-9]*)`, not `-0`) reads as one.
 *
 * Meta holds the instants that grace and early refresh need; it is length-prefixed
 * so a later version can append fields that this one skips. Entries without grace
 * carry no meta: three bytes of overhead.
 */
import {
  type CompressionId,
  CompressionIds,
  type Compressor,
  decompress,
  isOutputTooLarge,
} from './compression.js';
import { crc32 } from './crc32.js';
import { LarderError } from './errors.js';
import type { Serializer } from './types.js';

const MAGIC = 0xc1;
const FORMAT_VERSION = 2;
/** The format before checksums: refused (a miss), see the file comment. */
const UNCHECKED_FORMAT = 1;
const CHECKSUM_BYTES = 4;
/** CRC-32 of any bytes followed by their CRC-32, little-endian. */
const CRC32_RESIDUE = 0x2144df1c;
const HAS_META = 0x80;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/** The most tags one call may give (`tags`). */
export const MAX_TAGS = 32;
/**
 * The most tags one entry may carry: its own 32 plus the 256 a computation may
 * collect (`MAX_COLLECTED_TAGS`). Reads check it, so a corrupt count cannot
 * allocate wildly; versions before data-dependency tags read entries with more
 * than 32 as corrupt (a miss).
 */
export const MAX_ENTRY_TAGS = MAX_TAGS + 256;

/** Instants recorded with an entry (epoch ms). */
export interface EntryMeta {
  /** When the value was computed. */
  readonly createdAt: number;
  /** When it stops being fresh (grace begins); `undefined` when it has no grace. */
  readonly staleAt?: number | undefined;
  /** How long computing it took (for probabilistic early refresh). */
  readonly computeMs?: number | undefined;
  /**
   * The entry's tags and, at the same index, each tag's generation as read
   * before the value was computed. The entry is valid only while every
   * generation is still current.
   */
  readonly tags?: readonly string[] | undefined;
  readonly generations?: readonly number[] | undefined;
}

/** A decoded entry. */
export interface DecodedEntry {
  readonly value: unknown;
  readonly meta: EntryMeta | undefined;
}

/** What the envelope needs to write and read values. */
export interface Codec {
  readonly serializer: Serializer;
  /** Readers by serializer id, so entries written by another serializer still read. */
  readonly serializers: ReadonlyMap<number, Serializer>;
  readonly compressor: Compressor | undefined;
  readonly dictionary: Uint8Array | undefined;
  /**
   * Allocate each encoded entry its own memory rather than a slice of Node's
   * shared pool: true for stores that keep the buffer (memory), where a pool
   * slice would pin an 8 KiB slab or have to be copied.
   */
  readonly standaloneBuffers: boolean;
  /**
   * The largest serialized value, in bytes, that is written or decoded (the
   * `maxValueBytes` option): before compression when writing, after
   * decompression when reading.
   */
  readonly maxValueBytes: number;
}

/** True for a number stored as raw decimal digits. */
export function isRawInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0);
}

/** Encode a value (and optional meta) into the bytes to store. Throws `E_SERIALIZE`. */
export function encodeEntry(value: unknown, codec: Codec, meta?: EntryMeta): Uint8Array {
  if (meta === undefined && isRawInteger(value)) return Buffer.from(String(value), 'latin1');
  const payload = serializePayload(value, codec);
  const compressor = codec.compressor;
  if (compressor === undefined || payload.byteLength < compressor.thresholdBytes)
    return assembleEntry(payload, CompressionIds.none, codec, meta);
  return assembleEntry(...smaller(payload, compressor.compress(payload), compressor), codec, meta);
}

/**
 * `encodeEntry` for a value nobody waits on (a fill stored in the background):
 * the compression, when there is one, runs on libuv's thread pool, off the
 * event loop that is answering the next callers. The bytes are the same.
 */
export async function encodeEntryInBackground(
  value: unknown,
  codec: Codec,
  meta?: EntryMeta,
): Promise<Uint8Array> {
  if (meta === undefined && isRawInteger(value)) return Buffer.from(String(value), 'latin1');
  const payload = serializePayload(value, codec);
  const compressor = codec.compressor;
  if (compressor === undefined || payload.byteLength < compressor.thresholdBytes)
    return assembleEntry(payload, CompressionIds.none, codec, meta);
  return assembleEntry(...smaller(payload, await compressor.compressAsync(payload), compressor), codec, meta);
}

function serializePayload(value: unknown, codec: Codec): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = codec.serializer.serialize(value);
  } catch (cause) {
    throw new LarderError(
      'E_SERIALIZE',
      `value cannot be serialized with ${codec.serializer.name}: ${String((cause as Error)?.message ?? cause)}`,
      { cause },
    );
  }
  if (payload.byteLength > codec.maxValueBytes)
    throw new LarderError(
      'E_SERIALIZE',
      `value is ${payload.byteLength} bytes serialized with ${codec.serializer.name}, above the maxValueBytes option (${codec.maxValueBytes})`,
    );
  return payload;
}

/** The compressed payload and its id, or the original when compression does not pay (already-compressed data). */
function smaller(
  payload: Uint8Array,
  compressed: Uint8Array,
  compressor: Compressor,
): [Uint8Array, CompressionId] {
  return compressed.byteLength < payload.byteLength
    ? [compressed, compressor.id]
    : [payload, CompressionIds.none];
}

/** The envelope around a (possibly compressed) payload, checksum last. */
function assembleEntry(
  payload: Uint8Array,
  compressionId: CompressionId,
  codec: Codec,
  meta: EntryMeta | undefined,
): Uint8Array {
  const metaBytes = meta === undefined ? undefined : encodeMeta(meta);
  const dictionaryBytes = compressionId === CompressionIds.deflateDictionary ? 2 : 0;
  const metaLength = metaBytes === undefined ? 0 : varintLength(metaBytes.length) + metaBytes.length;
  const size = 3 + dictionaryBytes + metaLength + payload.byteLength + CHECKSUM_BYTES;
  const out = codec.standaloneBuffers ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
  out[0] = MAGIC;
  out[1] = FORMAT_VERSION;
  out[2] = codec.serializer.id | (compressionId << 4) | (metaBytes === undefined ? 0 : HAS_META);
  let offset = 3;
  if (dictionaryBytes !== 0) offset = out.writeUInt16BE(codec.compressor?.dictionaryId ?? 0, offset);
  if (metaBytes !== undefined) {
    offset = writeVarint(out, offset, metaBytes.length);
    out.set(metaBytes, offset);
    offset += metaBytes.length;
  }
  out.set(payload, offset);
  offset += payload.byteLength;
  out.writeUInt32LE(crc32(out.subarray(0, offset)), offset);
  return out;
}

/** Decode stored bytes. Throws `E_DECODE` for corrupt, truncated or foreign bytes. */
export function decodeEntry(bytes: Uint8Array, codec: Codec): DecodedEntry {
  const first = bytes[0];
  if (first === MAGIC) return decodeEnvelope(bytes, codec);
  if (first !== undefined && ((first >= ZERO && first <= NINE) || first === MINUS)) {
    return { value: parseRawInteger(bytes), meta: undefined };
  }
  throw decodeError(
    bytes.byteLength === 0 ? 'empty value' : `foreign value (first byte 0x${(first ?? 0).toString(16)})`,
  );
}

/** The integer in raw decimal bytes; throws `E_DECODE` when they are not a safe integer. */
export function parseRawInteger(bytes: Uint8Array): number {
  // 20 digits and a sign; longer is foreign, and not worth turning into a string.
  if (bytes.byteLength > 21) throw decodeError(`not an integer or an envelope (${bytes.byteLength} bytes)`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const value = Number(text);
  // Canonical digits only: '0042', '+1' or '-0' were not written by us.
  if (!/^(0|-?[1-9]\d{0,19})$/.test(text) || !Number.isSafeInteger(value))
    throw decodeError(`not an integer or an envelope: "${text.slice(0, 40)}"`);
  return value;
}

function decodeEnvelope(bytes: Uint8Array, codec: Codec): DecodedEntry {
  if (bytes[1] === UNCHECKED_FORMAT)
    throw decodeError('envelope format 1 has no checksum and is no longer read');
  if (bytes.byteLength < 3 + CHECKSUM_BYTES) throw decodeError('truncated envelope');
  if (bytes[1] !== FORMAT_VERSION) throw decodeError(`unknown envelope format version ${bytes[1]}`);
  // Before anything is decoded: a flipped length, flag or payload byte must not
  // be trusted. The CRC of bytes followed by their own CRC (little-endian) is a
  // constant, so the check is one pass over the buffer as stored, no copy or view.
  if (crc32(bytes) !== CRC32_RESIDUE) throw decodeError('checksum mismatch (corrupt or truncated bytes)');
  // Where the checksum starts: every field below ends before it.
  const end = bytes.byteLength - CHECKSUM_BYTES;
  const flags = bytes[2] ?? 0;
  const serializer = codec.serializers.get(flags & 0x0f);
  if (serializer === undefined) throw decodeError(`unknown serializer id ${flags & 0x0f}`);
  const compressionId = (flags >> 4) & 0x07;
  let offset = 3;
  if (compressionId === CompressionIds.deflateDictionary) {
    if (end < 5) throw decodeError('truncated dictionary id');
    const dictionaryId = ((bytes[3] ?? 0) << 8) | (bytes[4] ?? 0);
    if (dictionaryId !== (codec.compressor?.dictionaryId ?? -1))
      throw decodeError('entry was written with another compression dictionary');
    offset = 5;
  }
  let meta: EntryMeta | undefined;
  if ((flags & HAS_META) !== 0) {
    const [length, next] = readVarint(bytes, offset);
    if (next + length > end) throw decodeError('truncated meta');
    meta = decodeMeta(bytes.subarray(next, next + length));
    offset = next + length;
  }
  const maxValueBytes = codec.maxValueBytes;
  let payload = bytes.subarray(offset, end);
  if (compressionId === CompressionIds.none && payload.byteLength > maxValueBytes)
    throw tooLarge(maxValueBytes);
  try {
    if (compressionId !== CompressionIds.none)
      payload = decompress(compressionId, payload, codec.dictionary, maxValueBytes);
    return { value: serializer.deserialize(payload), meta };
  } catch (cause) {
    if (isOutputTooLarge(cause)) throw tooLarge(maxValueBytes, cause);
    throw decodeError(`payload does not decode with ${serializer.name}`, cause);
  }
}

// Decoding a value that large would hold the event loop (and memory) for too long.
function tooLarge(maxValueBytes: number, cause?: unknown): LarderError {
  return decodeError(`the value is larger than the maxValueBytes option (${maxValueBytes})`, cause);
}

function decodeError(reason: string, cause?: unknown): LarderError {
  return new LarderError(
    'E_DECODE',
    `stored bytes cannot be decoded: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

// Meta: createdAt as varint, then staleAt - createdAt + 1 and computeMs + 1 (0 = absent),
// then (when tagged) the tag count and, per tag, its UTF-8 length, bytes and generation.
// Readers skip fields they do not know, so later versions may append more.
function encodeMeta(meta: EntryMeta): Uint8Array {
  const fields = [
    meta.createdAt,
    meta.staleAt === undefined ? 0 : Math.max(0, meta.staleAt - meta.createdAt) + 1,
    meta.computeMs === undefined ? 0 : Math.max(0, Math.round(meta.computeMs)) + 1,
  ];
  const tags = meta.tags ?? [];
  const tagBytes = tags.map((tag) => Buffer.from(tag, 'utf8'));
  let size = fields.reduce((n, f) => n + varintLength(f), 0);
  if (tags.length > 0) {
    size += varintLength(tags.length);
    tagBytes.forEach((bytes, i) => {
      size += varintLength(bytes.length) + bytes.length + varintLength(meta.generations?.[i] ?? 0);
    });
  }
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const field of fields) offset = writeVarint(out, offset, field);
  if (tags.length > 0) {
    offset = writeVarint(out, offset, tags.length);
    tagBytes.forEach((bytes, i) => {
      offset = writeVarint(out, offset, bytes.length);
      out.set(bytes, offset);
      offset = writeVarint(out, offset + bytes.length, meta.generations?.[i] ?? 0);
    });
  }
  return out;
}

function decodeMeta(bytes: Uint8Array): EntryMeta {
  const [createdAt, a] = readVarint(bytes, 0);
  const [stale, b] = a < bytes.length ? readVarint(bytes, a) : [0, a];
  const [compute, c] = b < bytes.length ? readVarint(bytes, b) : [0, b];
  const staleAt = stale === 0 ? undefined : createdAt + stale - 1;
  const computeMs = compute === 0 ? undefined : compute - 1;
  if (c >= bytes.length) return { createdAt, staleAt, computeMs };
  let [count, offset] = readVarint(bytes, c);
  if (count > MAX_ENTRY_TAGS) throw decodeError(`too many tags (${count})`);
  const tags: string[] = [];
  const generations: number[] = [];
  for (let i = 0; i < count; i++) {
    const [length, start] = readVarint(bytes, offset);
    if (start + length > bytes.length) throw decodeError('truncated tag');
    tags.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('utf8'));
    const [generation, next] = readVarint(bytes, start + length);
    generations.push(generation);
    offset = next;
  }
  // One object literal of one shape (no spread): this runs on every tagged hit.
  return { createdAt, staleAt, computeMs, tags, generations };
}

function varintLength(value: number): number {
  let length = 1;
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) length++;
  return length;
}

// Unsigned LEB128 on doubles (values up to 2^53), so epoch milliseconds fit.
function writeVarint(out: Uint8Array, offset: number, value: number): number {
  let v = Math.max(0, Math.floor(value));
  while (v >= 128) {
    out[offset++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[offset++] = v;
  return offset;
}

function readVarint(bytes: Uint8Array, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let offset = start; offset < bytes.length && offset < start + 8; offset++) {
    const byte = bytes[offset] ?? 0;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, offset + 1];
    scale *= 128;
  }
  throw decodeError('truncated varint');
}
