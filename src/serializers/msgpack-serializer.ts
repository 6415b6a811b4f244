/**
 * The MessagePack serializer (msgpackr). Lives outside core because core imports
 * only Node built-ins.
 */
import { addExtension, Packr } from 'msgpackr';
import type { Serializer } from '../core/types.js';

/** The envelope id of the MessagePack serializer. */
export const MSGPACK_SERIALIZER_ID = 1;

/**
 * The MessagePack extension type that carries a `Map`. msgpackr registers
 * extensions process-wide; this one is written only for our private `BoxedMap`,
 * so it never changes how other msgpackr users in the process encode anything.
 */
export const MAP_EXTENSION_TYPE = 0x4d;

/** A `Map` on its way into MessagePack: its entries, with inner Maps boxed too. */
class BoxedMap {
  readonly entries: Array<[unknown, unknown]>;

  constructor(entries: Array<[unknown, unknown]>) {
    this.entries = entries;
  }
}

addExtension({
  Class: BoxedMap,
  type: MAP_EXTENSION_TYPE,
  write: (box: BoxedMap) => box.entries,
  read: (entries: Array<[unknown, unknown]>) => new Map(entries),
});

/**
 * `value` with every `Map` replaced by a `BoxedMap`, copying only the objects on
 * the path to a Map: a value without Maps comes back as itself, uncopied.
 */
function boxMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Map) return new BoxedMap(Array.from(value, ([k, v]) => [boxMaps(k), boxMaps(v)]));
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const boxed = boxMaps(item);
      if (boxed !== item) {
        copy ??= value.slice();
        copy[i] = boxed;
      }
    }
    return copy ?? value;
  }
  if (value instanceof Set) {
    const original = Array.from(value);
    const items = original.map(boxMaps);
    return items.some((item, i) => item !== original[i]) ? new Set(items) : value;
  }
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const boxed = boxMaps(item);
    if (boxed !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = boxed;
    }
  }
  return copy ?? value;
}

/**
 * MessagePack via msgpackr, configured so that every supported type comes back as
 * the type it went in as:
 * - plain objects are MessagePack maps, read back as objects (plain maps decode
 *   about 30% faster than msgpackr's self-describing records, and are as small);
 * - a `Map` travels as a private extension (see `MAP_EXTENSION_TYPE`), so it is
 *   never confused with an object;
 * - `moreTypes` keeps `Set`, typed arrays and `BigInt` of any size;
 * - a function anywhere in the value throws instead of silently becoming `undefined`.
 *
 * Known limits (docs/serialization.md): class instances come back as plain
 * objects, and `-0` comes back as `0`.
 *
 * @example
 * createCache({ store, serializer: msgpackSerializer() })
 */
export function msgpackSerializer(): Serializer {
  const packr = new Packr({
    useRecords: false,
    mapsAsObjects: true,
    moreTypes: true,
    writeFunction() {
      throw new TypeError('functions cannot be cached');
    },
  });
  return {
    id: MSGPACK_SERIALIZER_ID,
    name: 'msgpack',
    serialize: (value) => packr.pack(boxMaps(value)),
    deserialize: (bytes) => packr.unpack(bytes),
  };
}
