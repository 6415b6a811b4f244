/**
 * The cache key of a query result: a SHA-256 over everything that decides what
 * the database answers — the exact SQL text, each parameter with its JS type,
 * the relations the names resolved to, the session (search_path, user, output
 * settings) and the database.
 *
 * Everything but the parameters is the same for every call of one statement
 * under one session, so it is hashed once into a "head" (kept with the read's
 * plan) and each call hashes only the head and its parameters.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import type { DatabaseIdentity } from './table-tags.js';

/** The parts of a query key. */
export interface QueryKeyParts {
  readonly identity: DatabaseIdentity;
  /** The session fingerprint: search_path, current_user and output settings (see session-state.ts). */
  readonly session: string;
  /** The relations the statement's names resolved to, `schema.name`, in statement order. */
  readonly relations: readonly string[];
  readonly text: string;
  readonly values: readonly unknown[] | undefined;
}

/** Bumped when the key layout (or the cached form, result-codec.ts) changes, so old entries are never read with a new meaning. */
const KEY_VERSION = 2;

/** node-postgres's own parameter serializer (exported at runtime, absent from @types/pg). */
const { prepareValue } = (pg as unknown as { readonly utils: { prepareValue(value: unknown): unknown } })
  .utils;

// crypto.hash (Node 20.12+) skips the Hash object: about half the cost of createHash for a short input.
const oneShot = (crypto as { readonly hash?: typeof crypto.hash }).hash;
const sha256: (material: string) => string =
  oneShot === undefined
    ? (material) => crypto.createHash('sha256').update(material).digest('base64url')
    : (material) => oneShot('sha256', material, 'base64url');

/**
 * A parameter as a `[type, text]` pair. The type keeps `'1'` and `1` apart
 * (harmless extra entries at worst), in arrays too. The text is what
 * node-postgres sends: `prepareValue` turns a Date into local time with an
 * offset and an object into JSON (or its `toPostgres()`) — so a Date bound to a
 * `timestamp` parameter keys on the same wall time the server sees.
 */
export function typedParameter(value: unknown): readonly [string, string] {
  if (value === null || value === undefined) return ['null', ''];
  switch (typeof value) {
    case 'string':
      return ['string', value];
    case 'number':
      return ['number', String(value)];
    case 'bigint':
      return ['bigint', String(value)];
    case 'boolean':
      return ['boolean', String(value)];
    default:
      break;
  }
  if (value instanceof Date) return ['date', String(prepareValue(value))];
  if (ArrayBuffer.isView(value)) {
    return ['bytes', Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')];
  }
  // Elements one by one: pg's array literal writes 1 and '1' alike.
  if (Array.isArray(value)) return ['array', JSON.stringify(value.map(typedParameter))];
  const prepared = prepareValue(value);
  if (Buffer.isBuffer(prepared)) return ['bytes', prepared.toString('base64')];
  return ['object', String(prepared)];
}

/** What a query key hashes besides the parameters, as one digest: compute it once per statement and session. */
export function keyHead(parts: Omit<QueryKeyParts, 'values'>): string {
  return sha256(
    JSON.stringify([
      KEY_VERSION,
      parts.identity.systemId,
      parts.identity.database,
      parts.session,
      parts.relations,
      parts.text,
    ]),
  );
}

/**
 * The key of one call: `sql:` + base64url SHA-256 of the head and each
 * parameter as type, length and text (length-prefixed, so no two lists of
 * parameters read alike). Throws what `prepareValue` throws (a cycle).
 */
export function keyOf(head: string, values: readonly unknown[] | undefined): string {
  let material = head;
  if (values !== undefined) {
    for (const value of values) {
      // The common parameters without the pair typedParameter allocates.
      if (typeof value === 'string') material += `string${value.length}:${value}`;
      else if (typeof value === 'number') {
        const text = String(value);
        material += `number${text.length}:${text}`;
      } else {
        const [type, text] = typedParameter(value);
        material += `${type}${text.length}:${text}`;
      }
    }
  }
  return `sql:${sha256(material)}`;
}

/** The key of one query result: `sql:` + base64url SHA-256. Throws what `prepareValue` throws (a cycle). */
export function queryKey(parts: QueryKeyParts): string {
  return keyOf(keyHead(parts), parts.values);
}
