/**
 * Key layout and validation. A stored key is `prefix:version:key`; a namespace
 * extends the prefix as `prefix/name#generation`. Because a version is an
 * integer and a namespace name is percent-encoded (so it holds no `:`, `/` or
 * `#`), the character right after each segment tells the layouts apart, and no
 * user key can produce another key's stored form.
 *
 * A prefix holds none of `:`, `/`, `#` either (options.ts refuses them): a
 * cache's keyspace is `prefix:`, `prefix/`, `prefix#`, and without separators in
 * prefixes no cache's keyspace can start inside another's, so `clear()` of one
 * never reaches another's keys.
 */
import { createHash } from 'node:crypto';
import { LarderError, WarningCodes, warnOnce } from './errors.js';
import type { KeyFunction, KeyValidation } from './types.js';

/** Memcached's limit, which Django checks every key against. */
export const MAX_KEY_CODE_POINTS = 250;

/** True for whitespace (including Unicode spaces, as `\s` defines them) and C0/C1 controls. */
function isBadCharacter(code: number): boolean {
  if (code <= 0x20 || (code >= 0x7f && code <= 0xa0)) return true;
  if (code < 0x1680) return false;
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

// A loop over char codes: several times faster than a regular expression on short keys.
function hasBadCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isBadCharacter(text.charCodeAt(i))) return true;
  return false;
}

/**
 * A lone UTF-16 surrogate, matched only unpaired: under the `u` flag a
 * well-formed pair is one code point and never matches the class.
 */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** True when `text` holds an unpaired surrogate, which has no UTF-8 form. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Refuse a stored key that UTF-8 cannot represent, whatever `keyValidation`
 * says: a store that writes UTF-8 (Redis) replaces each lone surrogate with
 * U+FFFD, so `'\ud800'`, `'\udc00'` and `'\ufffd'` would be one entry. That is
 * a collision, not a portability warning. Throws `E_INVALID_KEY`.
 */
export function checkEncodable(storedKey: string): void {
  if (hasLoneSurrogate(storedKey))
    throw new LarderError(
      'E_INVALID_KEY',
      `cache key ${JSON.stringify(storedKey.slice(0, 80))} contains a lone UTF-16 surrogate, which has no UTF-8 form (stores would merge it with other keys)`,
    );
}

/** Django's default key function: `prefix:version:key`. */
export const defaultKeyFunction: KeyFunction = (key, prefix, version) => `${prefix}:${version}:${key}`;

/** The reason a stored key is not portable, or `undefined` when it is fine. */
export function keyProblem(storedKey: string): string | undefined {
  // A string of at most 250 UTF-16 units has at most 250 code points; count only beyond.
  if (
    storedKey.length > MAX_KEY_CODE_POINTS &&
    countCodePoints(storedKey, MAX_KEY_CODE_POINTS + 1) > MAX_KEY_CODE_POINTS
  ) {
    return `is longer than ${MAX_KEY_CODE_POINTS} code points`;
  }
  if (hasBadCharacter(storedKey)) return 'contains whitespace or control characters';
  return undefined;
}

function countCodePoints(text: string, stopAt: number): number {
  let count = 0;
  for (const _ of text) if (++count >= stopAt) break;
  return count;
}

/** Apply the key validation policy to a stored key. */
export function checkKey(storedKey: string, policy: KeyValidation): void {
  if (policy === 'off') return;
  const problem = keyProblem(storedKey);
  if (problem === undefined) return;
  const message = `cache key ${JSON.stringify(storedKey.slice(0, 80))} ${problem}; memcached and other stores may reject it`;
  if (policy === 'error') throw new LarderError('E_INVALID_KEY', message);
  warnOnce(WarningCodes.W_KEY, `${message} (set keyValidation: 'error' to throw, 'off' to allow)`);
}

/**
 * Shorten a stored key that is longer than the store can hold to a SHA-256 of
 * the whole key, under the same prefix. The `#` after the version marks it: a
 * plain key has `:` there, so a hashed key never equals a plain one.
 */
export function fitKey(
  storedKey: string,
  prefix: string,
  version: number,
  maxBytes: number | undefined,
): string {
  if (maxBytes === undefined || Buffer.byteLength(storedKey) <= maxBytes) return storedKey;
  return `${prefix}:${version}#${createHash('sha256').update(storedKey).digest('base64url')}`;
}

/** The prefix of namespace `name` at `generation`, under `parentPrefix`. */
export function namespacePrefix(parentPrefix: string, name: string, generation: number): string {
  return `${namespaceBase(parentPrefix, name)}${generation}`;
}

/**
 * The key of namespace `name`'s generation counter; it is also the start of every
 * key in the namespace, but no data key equals it (they all continue past `#`).
 */
export function namespaceBase(parentPrefix: string, name: string): string {
  if (name.length === 0)
    throw new LarderError('E_INVALID_NAMESPACE', 'a namespace name must be a non-empty string');
  // encodeURIComponent would throw a URIError on it; say what is wrong instead.
  if (hasLoneSurrogate(name))
    throw new LarderError(
      'E_INVALID_NAMESPACE',
      `namespace name ${JSON.stringify(name)} contains a lone UTF-16 surrogate, which has no UTF-8 form`,
    );
  return `${parentPrefix}/${encodeURIComponent(name)}#`;
}
