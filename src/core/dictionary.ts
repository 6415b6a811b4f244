/**
 * Preset deflate dictionaries from sample values. Deflate can copy any run of 3+
 * bytes from the 32 KiB it has "already seen", and a preset dictionary is text
 * it has seen before the value starts: for ~100-byte values, each copy from it
 * replaces several literal bytes.
 *
 * The dictionary is the serialized samples laid end to end, the last 32 KiB of
 * them. Measured on the benchmark profiles (bench/README.md), this beat a
 * trainer that scored common substrings (63.0 vs 69.9 bytes per value, and
 * milliseconds instead of seconds to build): whole samples keep the byte order
 * values really have, so one copy spans several fields.
 */

/** Deflate's window: a dictionary longer than this is never referenced. */
export const MAX_DICTIONARY_BYTES = 32 * 1024;

/** A dictionary of at most `maxBytes`: the last `maxBytes` of the samples laid end to end. */
export function trainDictionary(samples: readonly Uint8Array[], maxBytes = MAX_DICTIONARY_BYTES): Buffer {
  const limit = Math.min(maxBytes, MAX_DICTIONARY_BYTES);
  const all = Buffer.concat(
    samples.map((sample) => Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength)),
  );
  return Buffer.from(all.subarray(Math.max(0, all.byteLength - limit)));
}
