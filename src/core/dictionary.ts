/**
 * Training a preset deflate dictionary from sample values. Deflate can copy any
 * run of 3+ bytes from the 32 KiB it has "already seen", and a preset dictionary
 * is text it has seen before the value starts: for ~100-byte values, each copy
 * from it replaces several literal bytes. The dictionary should therefore hold
 * the substrings that the most values contain, the best nearest its end
 * (shorter copy distances cost fewer bits).
 */

/** Deflate's window: a dictionary longer than this is never referenced. */
export const MAX_DICTIONARY_BYTES = 32 * 1024;

const MIN_GRAM = 4;
const MAX_GRAM = 32;

/**
 * A dictionary of at most `maxBytes` from serialized samples: substrings scored
 * by how many samples contain them times the bytes a copy saves, picked
 * greedily, skipping any already inside a picked one.
 */
export function trainDictionary(samples: readonly Uint8Array[], maxBytes = MAX_DICTIONARY_BYTES): Buffer {
  const limit = Math.min(maxBytes, MAX_DICTIONARY_BYTES);
  // Count each substring once per sample: what matters is how many values hold it.
  const samplesHolding = new Map<string, number>();
  for (const sample of samples) {
    const text = Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength).toString('latin1');
    const seen = new Set<string>();
    for (let start = 0; start + MIN_GRAM <= text.length; start++) {
      for (let end = start + MIN_GRAM; end <= text.length && end - start <= MAX_GRAM; end++)
        seen.add(text.slice(start, end));
    }
    for (const gram of seen) samplesHolding.set(gram, (samplesHolding.get(gram) ?? 0) + 1);
  }
  const scored: Array<{ gram: string; score: number }> = [];
  // A copy costs about 3 bytes, so a gram of length n saves n - 3 per value holding it.
  for (const [gram, count] of samplesHolding)
    if (count >= 2) scored.push({ gram, score: count * (gram.length - 3) });
  scored.sort((a, b) => b.score - a.score);
  const picked: string[] = [];
  let used = 0;
  for (const { gram } of scored) {
    if (used + gram.length > limit || picked.some((kept) => kept.includes(gram))) continue;
    picked.push(gram);
    used += gram.length;
    if (used > limit - MIN_GRAM) break;
  }
  return Buffer.from(picked.reverse().join(''), 'latin1');
}
