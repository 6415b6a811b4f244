/**
 * JSON codecs: the raw-client baseline (what an app does without a library) and
 * a type-preserving JSON with the benchmark header (what a library must do).
 */
import type { UserProfile } from './make-profile.js';
import {
  type BufferCodec,
  HEADER_BYTES,
  type StringCodec,
  withHeader,
  withoutHeader,
} from './value-codec.js';

/**
 * The raw client's way: `JSON.stringify`, then `JSON.parse` and a hand-written
 * revive of the one field the app knows is a date. No header. This is the
 * baseline every ratio is taken against.
 */
export const rawJsonCodec: StringCodec = {
  name: 'raw JSON (no envelope)',
  readAs: 'string',
  encode: (value) => JSON.stringify(value),
  decode: (text) => {
    const value = JSON.parse(text) as UserProfile & { createdAt: string | Date };
    value.createdAt = new Date(value.createdAt);
    return value;
  },
};

const TAG = '\u0000';

// A library cannot know which fields are dates, so a Date is written as a tagged
// object and found again by a walk, the generic cost a raw client does not pay.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? { [TAG]: 'D', v: raw.getTime() } : value;
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  if (record[TAG] === 'D') return new Date(record.v as number);
  for (const key in record) record[key] = revive(record[key]);
  return record;
}

/** JSON text of `value` with dates tagged, before any header or compression. */
export function taggedJsonStringify(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** The inverse of `taggedJsonStringify`. */
export function taggedJsonParse(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  // JSON.stringify always escapes U+0000, so text without the escape has no tags.
  return text.includes('\\u0000') ? revive(parsed) : parsed;
}

/** Type-preserving JSON behind the 3-byte header. */
export function taggedJsonCodec(headerBytes = HEADER_BYTES): BufferCodec {
  return {
    name: headerBytes === HEADER_BYTES ? 'JSON' : `JSON (${headerBytes} B header)`,
    readAs: 'buffer',
    encode: (value) => withHeader(Buffer.from(taggedJsonStringify(value)), headerBytes),
    decode: (bytes) => taggedJsonParse(withoutHeader(bytes, headerBytes).toString()),
  };
}
