/**
 * Encoded sizes of many codec variants on a sample of profiles, and the Redis
 * memory they imply by the allocation model: a quick way to rank variants that
 * would take minutes each to write a million times. The full benchmark checks
 * the model against measured used_memory for the main settings.
 */
import { buildDictionary } from './build-dictionary.js';
import { createDeflater } from './dictionary-deflate.js';
import { type EncodingName, payloadEncoding } from './payload-encodings.js';
import { EMBSTR_MAX_BYTES, predictBytesPerKey } from './redis-memory-model.js';

/** One variant's sizes and predicted memory. */
export interface SizeSurveyRow {
  readonly encoding: string;
  /** Bytes of preset dictionary, 0 for no compression. */
  readonly dictionaryBytes: number;
  /** Mean stored bytes with a header of `headerBytes`. */
  readonly meanBytes: number;
  /** Share of values that fit Redis's embstr (≤ 44 bytes). */
  readonly embstrShare: number;
  /** Predicted MiB per 1M keys for each key length given. */
  readonly predictedMib: readonly number[];
}

/** What to survey. */
export interface SizeSurveyOptions {
  readonly values: readonly unknown[];
  /** Held-out values to build dictionaries from. */
  readonly samples: readonly unknown[];
  readonly encodings: readonly EncodingName[];
  readonly dictionarySizes: readonly number[];
  readonly headerBytes: number;
  /** Key lengths to predict memory for, e.g. the long and short layouts. */
  readonly keyLengths: readonly number[];
  readonly keyCount: number;
}

/** Sizes and predicted memory of every encoding × dictionary size. */
export function surveySizes(options: SizeSurveyOptions): SizeSurveyRow[] {
  const rows: SizeSurveyRow[] = [];
  for (const name of options.encodings) {
    for (const dictionaryBytes of options.dictionarySizes) {
      const encoding = payloadEncoding(name);
      let transform = (bytes: Uint8Array): Uint8Array => bytes;
      if (dictionaryBytes > 0) {
        const dictionary = buildDictionary(options.samples.map(encoding.encode), dictionaryBytes, 'concat');
        transform = createDeflater(dictionary, 9, 'reused');
      }
      const sizes = options.values.map(
        (value) => transform(encoding.encode(value)).byteLength + options.headerBytes,
      );
      rows.push({
        encoding: encoding.name,
        dictionaryBytes,
        meanBytes: sizes.reduce((sum, size) => sum + size, 0) / sizes.length,
        embstrShare: sizes.filter((size) => size <= EMBSTR_MAX_BYTES).length / sizes.length,
        predictedMib: options.keyLengths.map(
          (keyLength) =>
            (sizes.reduce((sum, size) => sum + predictBytesPerKey(keyLength, size, options.keyCount), 0) /
              sizes.length) *
            (1_000_000 / 2 ** 20),
        ),
      });
    }
  }
  return rows;
}
