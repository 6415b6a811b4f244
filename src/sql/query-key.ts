/**
 * The cache key of a query result: a SHA-256 over everything that decides what
 * the database answers — the exact SQL text, each parameter with its JS type,
 * the relations the names resolved to, the session (search_path, user, output
 * settings) and the database.
 */
import { createHash } from 'node:crypto';
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

/** Bumped when the key layout changes, so old entries are never read with a new meaning. */
const KEY_VERSION = 1;

/** node-postgres's own parameter serializer (exported at runtime, absent from @types/pg). */
const { prepareValue } = (pg as unknown as { readonly utils: { prepareValue(value: unknown): unknown } })
  .utils;

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

/** The key of one query result: `sql:` + base64url SHA-256. Throws what `prepareValue` throws (a cycle). */
export function queryKey(parts: QueryKeyParts): string {
  const values = (parts.values ?? []).map(typedParameter);
  const material = JSON.stringify([
    KEY_VERSION,
    parts.identity.systemId,
    parts.identity.database,
    parts.session,
    parts.relations,
    parts.text,
    values,
  ]);
  return `sql:${createHash('sha256').update(material).digest('base64url')}`;
}
