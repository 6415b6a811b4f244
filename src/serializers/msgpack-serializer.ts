/**
 * The MessagePack serializer (msgpackr). Lives outside core because core imports
 * only Node built-ins.
 */
import { Packr } from 'msgpackr';
import type { Serializer } from '../core/types.js';

/** The envelope id of the MessagePack serializer. */
export const MSGPACK_SERIALIZER_ID = 1;

/**
 * MessagePack via msgpackr, configured so that every supported type comes back as
 * the type it went in as:
 * - plain objects are written as msgpackr records and `Map`s as MessagePack maps,
 *   so reading with `mapsAsObjects: false` tells them apart;
 * - `moreTypes` keeps `Set`, typed arrays and `BigInt` of any size;
 * - a function anywhere in the value throws instead of silently becoming `undefined`.
 *
 * Known limits (documented in docs/serialization.md): class instances come back as
 * plain objects, and an own property named `__proto__` is renamed by msgpackr.
 *
 * @example
 * createCache({ store, serializer: msgpackSerializer() })
 */
export function msgpackSerializer(): Serializer {
  const packr = new Packr({
    useRecords: true,
    mapsAsObjects: false,
    moreTypes: true,
    writeFunction() {
      throw new TypeError('functions cannot be cached');
    },
  });
  return {
    id: MSGPACK_SERIALIZER_ID,
    name: 'msgpack',
    serialize: (value) => packr.pack(value),
    deserialize: (bytes) => packr.unpack(bytes),
  };
}
