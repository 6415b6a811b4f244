/**
 * The store key of a session id (issue 12 groundwork, not exported yet): a
 * keyed hash, so that a key listing, a `redis-cli monitor` or a copied dump
 * of the store does not hand out live session ids (Django and connect-redis
 * store `prefix + sid` as it is).
 */
import { createHmac } from 'node:crypto';
import { invalidOption, ShownAs } from '../core/invalid-option.js';

/** The longest session id accepted: express-session's are 32 characters, @fastify/session's similar. */
const MAX_ID_LENGTH = 512;
/** The shortest secret: 32 bytes of key material for HMAC-SHA-256. */
const MIN_SECRET_BYTES = 32;

/** Checked once: a store is made with a secret it keeps. Never shown in an error, only its length. */
export function checkSessionSecret(secret: unknown): Buffer {
  const bytes =
    typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.isBuffer(secret) ? secret : undefined;
  if (bytes === undefined || bytes.byteLength < MIN_SECRET_BYTES)
    throw invalidOption(
      'secret',
      `a string or Buffer of at least ${MIN_SECRET_BYTES} bytes`,
      new ShownAs(bytes === undefined ? String(typeof secret) : `${bytes.byteLength} bytes (not shown)`),
      'sessionStore',
    );
  return bytes;
}

/**
 * The key a session id is stored under, or undefined for an id that cannot
 * be one (empty, overlong, not a string): such a request has no session. The
 * id never appears in the key, in an error or in a log line.
 */
export function sessionKey(id: unknown, secret: Buffer): string | undefined {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
  return `sess:${createHmac('sha256', secret).update(id, 'utf8').digest('base64url')}`;
}

/** Session ids whose store key is remembered. */
const KEY_MEMO_SIZE = 10_000;

/** The store keys of session ids under one secret, memoized (bounded, emptied when full). */
export class SessionKeys {
  readonly #secret: Buffer;
  readonly #keys = new Map<string, string>();

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /**
   * The store key of an id, or undefined for an id that cannot be one. A
   * request loads and saves its session: the HMAC is computed once for both
   * (the memo is bounded, and emptied when full).
   */
  of(id: unknown): string | undefined {
    if (typeof id !== 'string') return undefined;
    const keys = this.#keys;
    let key = keys.get(id);
    if (key === undefined) {
      key = sessionKey(id, this.#secret);
      if (key === undefined) return undefined;
      if (keys.size >= KEY_MEMO_SIZE) keys.clear();
      keys.set(id, key);
    }
    return key;
  }
}
