/**
 * What Redis 7.0 with jemalloc allocates per string key with a TTL, so measured
 * figures can be explained (and a payload size can be judged before trying it).
 *
 * Per key: a dictEntry in the keyspace and one in the expires dict (24 bytes
 * each, allocated as 32), the key as an sds string (length + 4 bytes of header
 * and terminator for keys under 256 bytes), and the value: a 16-byte object
 * header plus a separate sds, or, for values of at most 44 bytes, one "embstr"
 * allocation of 64 bytes holding both. Each allocation rounds up to a jemalloc
 * size class. Both hash tables add 8 bytes per bucket, buckets being the next
 * power of two at or above the key count.
 */

/** The jemalloc size class (64-bit, 16-byte quantum) that holds `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= 8) return 8;
  if (bytes <= 128) return Math.ceil(bytes / 16) * 16;
  // Above 128, each power-of-two range is split into 4 classes.
  const group = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = group / 4;
  return Math.ceil(bytes / step) * step;
}

/** The longest value Redis stores as embstr (object and bytes in one allocation). */
export const EMBSTR_MAX_BYTES = 44;

/** Bytes allocated for one string value of `length` bytes (not integer-encoded). */
export function valueAllocation(length: number): number {
  return length <= EMBSTR_MAX_BYTES ? sizeClass(16 + 3 + length + 1) : 16 + sizeClass(length + 4);
}

/** Bytes allocated for one key of `length` bytes. */
export function keyAllocation(length: number): number {
  return sizeClass(length + 4);
}

/** Predicted bytes per key, including both hash tables' buckets for `keyCount` keys. */
export function predictBytesPerKey(keyLength: number, valueLength: number, keyCount: number): number {
  const buckets = 2 ** Math.ceil(Math.log2(keyCount));
  const bucketBytes = (2 * 8 * buckets) / keyCount;
  return 2 * sizeClass(24) + keyAllocation(keyLength) + valueAllocation(valueLength) + bucketBytes;
}
