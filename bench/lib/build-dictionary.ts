/**
 * Preset dictionaries for deflate, built from sample encoded values.
 *
 * Deflate can copy any run of 3+ bytes from the last 32 KiB it has seen, and a
 * preset dictionary is simply "already seen" text. For values of ~100 bytes,
 * each copy from the dictionary replaces several literal bytes, so the
 * dictionary should hold the substrings most values contain, the most common
 * nearest the end (shorter distances cost fewer bits).
 */

/** How to turn samples into a dictionary. */
export type DictionaryMethod = 'concat' | 'substrings';

const MIN_GRAM = 4;
const MAX_GRAM = 24;

/** The last `sizeBytes` of the samples laid end to end. */
function concatDictionary(samples: readonly Uint8Array[], sizeBytes: number): Buffer {
  const all = Buffer.concat(samples.map((sample) => Buffer.from(sample)));
  return all.subarray(Math.max(0, all.length - sizeBytes));
}

/**
 * The substrings that occur in the most samples, weighted by the bytes they
 * save, greedily, skipping those already contained in a chosen one. Simple
 * relative of zstd's COVER trainer.
 */
function substringDictionary(samples: readonly Uint8Array[], sizeBytes: number): Buffer {
  // Count each substring once per sample: what matters is how many values
  // contain it, not how often one value repeats it.
  const documentFrequency = new Map<string, number>();
  for (const sample of samples) {
    const text = Buffer.from(sample).toString('latin1');
    const seen = new Set<string>();
    for (let start = 0; start < text.length; start++) {
      for (let length = MIN_GRAM; length <= MAX_GRAM && start + length <= text.length; length++) {
        seen.add(text.slice(start, start + length));
      }
    }
    for (const gram of seen) documentFrequency.set(gram, (documentFrequency.get(gram) ?? 0) + 1);
  }
  const scored: Array<[string, number]> = [];
  for (const [gram, count] of documentFrequency) {
    // A copy costs about 3 bytes, so a gram saves (length - 3) bytes per use.
    if (count >= 2) scored.push([gram, count * (gram.length - 3)]);
  }
  scored.sort((a, b) => b[1] - a[1]);
  const chosen: string[] = [];
  let used = 0;
  for (const [gram] of scored) {
    if (used + gram.length > sizeBytes) continue;
    if (chosen.some((kept) => kept.includes(gram))) continue;
    chosen.push(gram);
    used += gram.length;
    if (used >= sizeBytes - MIN_GRAM) break;
  }
  // Best first in the list means last in the dictionary: nearest to the value.
  return Buffer.from(chosen.reverse().join(''), 'latin1');
}

/**
 * A dictionary of at most `sizeBytes` built from `samples` (encoded values that
 * are not among the values later measured).
 */
export function buildDictionary(
  samples: readonly Uint8Array[],
  sizeBytes: number,
  method: DictionaryMethod,
): Buffer {
  return method === 'concat' ? concatDictionary(samples, sizeBytes) : substringDictionary(samples, sizeBytes);
}
