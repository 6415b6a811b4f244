/**
 * The uncompressed payload encodings compared by the memory benchmark, each a
 * fresh instance (msgpackr record structures are per instance).
 */

import { Packr } from 'msgpackr';
import type { PayloadEncoding } from './dictionary-codec.js';
import { taggedJsonParse, taggedJsonStringify } from './json-codecs.js';
import { createPackr } from './msgpack-codec.js';

/** Names of the encodings below. */
export type EncodingName = 'json' | 'msgpack' | 'inlineRecords' | 'records' | 'recordsFloat32';

/** A new instance of encoding `name`. */
export function payloadEncoding(name: EncodingName): PayloadEncoding {
  switch (name) {
    case 'json':
      return {
        name: 'JSON',
        encode: (value) => Buffer.from(taggedJsonStringify(value)),
        decode: (bytes) =>
          taggedJsonParse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString()),
      };
    case 'msgpack': {
      const packr = createPackr();
      return {
        name: 'msgpack',
        encode: (value) => packr.pack(value),
        decode: (bytes) => packr.unpack(bytes),
      };
    }
    case 'inlineRecords': {
      // Records without shared structures: each value carries its own field list,
      // so any process can read it without coordination.
      const packr = new Packr({ useRecords: true });
      return {
        name: 'msgpack inline records',
        encode: (value) => packr.pack(value),
        decode: (bytes) => packr.unpack(bytes),
      };
    }
    case 'records': {
      const packr = createPackr({ records: true });
      return {
        name: 'msgpack shared records',
        encode: (value) => packr.pack(value),
        decode: (bytes) => packr.unpack(bytes),
      };
    }
    case 'recordsFloat32': {
      const packr = createPackr({ records: true, float32: true });
      return {
        name: 'msgpack shared records +f32',
        encode: (value) => packr.pack(value),
        decode: (bytes) => packr.unpack(bytes),
      };
    }
  }
}
