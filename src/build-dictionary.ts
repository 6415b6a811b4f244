/** `buildDictionary`: a preset compression dictionary from sample values. */
import { MAX_DICTIONARY_BYTES, trainDictionary } from './core/dictionary.js';
import { jsonSerializer } from './core/json-serializer.js';
import type { Serializer } from './core/types.js';
import { msgpackSerializer } from './serializers/msgpack-serializer.js';

/** Options of `buildDictionary`. */
export interface BuildDictionaryOptions {
  /** The serializer the cache uses (the dictionary is built from its bytes). @default 'msgpack' */
  readonly serializer?: 'msgpack' | 'json' | Serializer;
  /** The dictionary's size; deflate never looks back further than 32 KiB. @default 32768 */
  readonly maxBytes?: number;
}

/**
 * Build a preset deflate dictionary from a few hundred typical values (rows your
 * app caches), for `compression: { algorithm: 'deflate', dictionary, thresholdBytes: 0 }`.
 * Small values barely compress alone; with a dictionary of what they have in
 * common they shrink by half or more. Build it once, ship it with the app (every
 * process must use the same bytes), and rebuild when the shape of values changes.
 *
 * @example
 * const dictionary = buildDictionary(await db.users.sample(500));
 * await writeFile('cache-users.dict', dictionary);
 * const cache = createCache({ store, compression: { algorithm: 'deflate', dictionary, thresholdBytes: 0 } });
 */
export function buildDictionary(samples: Iterable<unknown>, options: BuildDictionaryOptions = {}): Buffer {
  const choice = options.serializer ?? 'msgpack';
  const serializer =
    choice === 'msgpack' ? msgpackSerializer() : choice === 'json' ? jsonSerializer() : choice;
  const encoded = Array.from(samples, (sample) => serializer.serialize(sample));
  return trainDictionary(encoded, options.maxBytes ?? MAX_DICTIONARY_BYTES);
}
