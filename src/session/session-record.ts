/**
 * What a session store keeps under a session's key: a JSON text, so that any
 * cache serializer and the Postgres table hold the same thing, and so that a
 * value that is not one of ours (or not this session's) is told apart before anything is served.
 *
 * - a live session: `{"larder":1,"key":"sess:…","fields":{...},"cookie":{...},"expiresAt":<ms>}`,
 *   where `key` is the key it was written under (a keyed hash, never the id):
 *   a record copied under another session's key is refused, not served;
 * - a tombstone, left by `destroy` so that a save of the old session still in
 *   flight cannot bring it back: `{"larder":1,"gone":true}`.
 *
 * The fields never include `cookie` (the store's) nor the loaded-state marker.
 */
import type { SessionData } from './session-changes.js';

/** The format version written in every record. */
const FORMAT = 1;

/** A live session as stored. */
export interface LiveRecord {
  readonly fields: SessionData;
  /** The cookie as `toJSON` gave it (express-session's and @fastify/session's `Cookie`). */
  readonly cookie: SessionData;
  /** When the session ends: the cookie's expiry, else the store's default TTL from its last write. */
  readonly expiresAt: number;
  /** `cached_db` mode: the row's version this copy holds (the cache copy only; the row has its own column). */
  readonly version?: number;
}

/** What a stored value turned out to be. */
export type DecodedRecord = LiveRecord | 'gone' | 'absent' | Malformed;

/** A stored value that is not a session record, and why. */
export class Malformed {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON text of a live record. */
export function encodeLive(key: string, record: LiveRecord): string {
  return JSON.stringify({
    larder: FORMAT,
    key,
    fields: record.fields,
    cookie: record.cookie,
    expiresAt: record.expiresAt,
    version: record.version,
  });
}

/** The JSON text of a tombstone. */
export const TOMBSTONE = JSON.stringify({ larder: FORMAT, gone: true });

/**
 * Decode a stored value. Anything that is not a record this module wrote —
 * another type, broken JSON, another shape, more than `maxBytes` of text — is
 * `Malformed`, never a session: a foreign or corrupted value must not be
 * served as someone's session.
 */
export function decodeRecord(key: string, stored: unknown, maxBytes: number): DecodedRecord {
  if (stored === undefined || stored === null) return 'absent';
  if (typeof stored !== 'string') return new Malformed(`a ${typeof stored}, not a session record`);
  // Two bytes per code unit at most: the cheap bound first, the exact one only near the limit.
  if (stored.length > maxBytes && Buffer.byteLength(stored, 'utf8') > maxBytes)
    return new Malformed(`larger than maxBytes (${maxBytes})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return new Malformed('not JSON');
  }
  if (!isObject(parsed) || parsed.larder !== FORMAT) return new Malformed('not a Larder session record');
  if (parsed.gone === true) return 'gone';
  if (parsed.key !== key) return new Malformed('the record of another session');
  const { fields, cookie, expiresAt, version } = parsed;
  if (!isObject(fields) || !isObject(cookie) || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
    return new Malformed('a session record with missing or mistyped parts');
  if ('cookie' in fields) return new Malformed('a session record whose fields hold a cookie');
  if (version !== undefined && (typeof version !== 'number' || !Number.isSafeInteger(version)))
    return new Malformed('a mistyped version');
  return version === undefined ? { fields, cookie, expiresAt } : { fields, cookie, expiresAt, version };
}
