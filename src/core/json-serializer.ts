/**
 * The JSON serializer. Plain JSON loses types, so values JSON cannot express are
 * written as tagged objects `{"\u0000": tag, "v": payload}`; a user object key that
 * starts with U+0000 is escaped by doubling it, so user data can never be read
 * back as a tag.
 */
import type { Serializer } from './types.js';

/** The envelope id of the JSON serializer. */
export const JSON_SERIALIZER_ID = 2;

const TAG = '\u0000';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function tag(kind: string, payload?: unknown): Record<string, unknown> {
  return payload === undefined ? { [TAG]: kind } : { [TAG]: kind, v: payload };
}

function escapeKeys(value: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key.charCodeAt(0) === 0 ? TAG + key : key] = item;
  }
  return out;
}

function hasTaggedKey(value: object): boolean {
  for (const key in value) if (key.charCodeAt(0) === 0) return true;
  return false;
}

// `this[key]` is the value before `toJSON` ran, so a Date or Buffer is still itself.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  switch (typeof raw) {
    case 'object':
      if (raw === null || Array.isArray(raw)) return raw;
      if (raw instanceof Date) return tag('D', Number.isNaN(raw.getTime()) ? null : raw.getTime());
      if (raw instanceof Map) return tag('M', [...raw]);
      if (raw instanceof Set) return tag('S', [...raw]);
      if (raw instanceof Uint8Array)
        return tag('B', Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64'));
      return hasTaggedKey(raw) ? escapeKeys(raw) : value;
    case 'bigint':
      return tag('I', raw.toString());
    case 'undefined':
      return tag('U');
    case 'number':
      if (Number.isFinite(raw) && !Object.is(raw, -0)) return raw;
      return tag('N', Object.is(raw, -0) ? '-0' : String(raw));
    case 'function':
    case 'symbol':
      throw new TypeError(`a ${typeof raw} cannot be cached (at key "${key}")`);
    default:
      return value;
  }
}

/** The JSON of any value with the replacer: what `serialize` must always write (exported for its test). */
export function taggedJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** How deep `plain` looks before it leaves a value to the replacer (which also reports cycles). */
const MAX_PLAIN_DEPTH = 64;

/**
 * Whether `JSON.stringify(value)` writes exactly what it writes with the
 * replacer: only strings, booleans, null, finite numbers other than -0,
 * arrays without holes or undefined, and plain objects (no prototype other
 * than Object's, no `toJSON`, no key starting with U+0000). A replacer turns
 * off V8's fast serializer, which is several times faster on the query
 * results and rows that make up most cached values; this walk costs a
 * fraction of that.
 */
function plain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!plain(value[i], depth + 1)) return false;
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.toJSON === 'function') return false;
  for (const key in record) {
    if (key.charCodeAt(0) === 0 || !plain(record[key], depth + 1)) return false;
  }
  return true;
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  if (TAG in record) return reviveTag(record[TAG], record.v);
  if (!hasTaggedKey(record)) {
    for (const key in record) record[key] = revive(record[key]);
    return record;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record))
    out[key.charCodeAt(0) === 0 ? key.slice(1) : key] = revive(item);
  return out;
}

function reviveTag(kind: unknown, payload: unknown): unknown {
  switch (kind) {
    case 'D':
      return new Date(payload === null ? Number.NaN : (payload as number));
    case 'M':
      return new Map((payload as Array<[unknown, unknown]>).map(([k, v]) => [revive(k), revive(v)]));
    case 'S':
      return new Set((payload as unknown[]).map(revive));
    case 'B':
      return Buffer.from(payload as string, 'base64');
    case 'I':
      return BigInt(payload as string);
    case 'U':
      return undefined;
    case 'N':
      return Number(payload);
    default:
      throw new TypeError(`unknown JSON tag ${String(kind)}`);
  }
}

/**
 * JSON with `Date`, `BigInt`, `Map`, `Set`, `Buffer`/`Uint8Array` (read back as
 * `Buffer`), `undefined`, `NaN`, `±Infinity` and `-0` kept. Values without any of
 * those are plain JSON and parse at `JSON.parse` speed.
 *
 * @example
 * createCache({ store, serializer: jsonSerializer() })
 */
export function jsonSerializer(): Serializer {
  return {
    id: JSON_SERIALIZER_ID,
    name: 'json',
    serialize(value) {
      return encoder.encode(plain(value, 0) ? JSON.stringify(value) : JSON.stringify(value, replacer));
    },
    deserialize(bytes) {
      const text = decoder.decode(bytes);
      const parsed: unknown = JSON.parse(text);
      // JSON.stringify escapes U+0000 as \u0000, so no tag means no revive pass.
      return text.includes('\\u0000') ? revive(parsed) : parsed;
    },
  };
}
