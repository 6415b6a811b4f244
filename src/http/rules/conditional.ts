/**
 * Conditional requests answered by a cache, and revalidation with the origin,
 * pure (RFC 9110 §13, RFC 9111 §4.3).
 */
import { httpDate } from './freshness.js';
import { fieldValue, type HeaderFields } from './header-fields.js';
import { HOP_BY_HOP } from './storable.js';

/** The validators of a stored response. */
export interface Validators {
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

/** The entity-tags of an `If-None-Match` list (RFC 9110 §8.8.3), `'*'`, or undefined when absent. */
function entityTags(text: string): string[] | '*' {
  if (text.trim() === '*') return '*';
  return text.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque tags match, weak or not. */
function weakMatch(a: string, b: string): boolean {
  const strip = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  return strip(a) === strip(b);
}

/**
 * Whether a GET or HEAD may be answered 304 from a stored response
 * (RFC 9111 §4.3.2, RFC 9110 §13.1.2, §13.1.3, §13.2.2): `If-None-Match` by
 * weak comparison, and only when it is absent `If-Modified-Since` against
 * `Last-Modified`. An invalid date is ignored (§13.1.3).
 */
export function notModified(request: HeaderFields, stored: Validators): boolean {
  const ifNoneMatch = fieldValue(request, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (stored.etag === undefined) return false;
    const tags = entityTags(ifNoneMatch);
    return tags === '*' || tags.some((tag) => weakMatch(tag, stored.etag as string));
  }
  const ifModifiedSince = fieldValue(request, 'if-modified-since');
  if (ifModifiedSince === undefined || stored.lastModified === undefined) return false;
  const sinceAt = httpDate(ifModifiedSince);
  const modifiedAt = httpDate(stored.lastModified);
  return sinceAt !== undefined && modifiedAt !== undefined && modifiedAt <= sinceAt;
}

/**
 * The fields a 304 carries from the stored 200 (RFC 9110 §15.4.5): those a 200
 * would have sent that describe the representation's metadata, not its body.
 */
const NOT_MODIFIED_FIELDS = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
  'last-modified',
];

/** The header fields of a 304 answered from a stored response. */
export function notModifiedFields(stored: HeaderFields): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = {};
  for (const name of NOT_MODIFIED_FIELDS) {
    const value = stored[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The conditional fields a cache sends to revalidate a stored response (RFC 9111 §4.3.1). */
export function revalidationFields(stored: Validators): Record<string, string> {
  const out: Record<string, string> = {};
  if (stored.etag !== undefined) out['if-none-match'] = stored.etag;
  if (stored.lastModified !== undefined) out['if-modified-since'] = stored.lastModified;
  return out;
}

/** Fields a 304 never changes in the stored response (RFC 9111 §3.2: Content-Length; §3.1: hop-by-hop). */
const KEPT_FIELDS = new Set(['content-length', 'content-encoding', 'transfer-encoding', ...HOP_BY_HOP]);

/**
 * The stored response's header fields updated from a 304 (RFC 9111 §3.2,
 * §4.3.4), or undefined when the 304 does not select it: its strong validator
 * names another representation. Fields the 304 carries replace the stored
 * ones, except those §3.2 excepts.
 */
export function freshenedFields(
  stored: HeaderFields,
  storedValidators: Validators,
  notModifiedResponse: HeaderFields,
): Record<string, string | readonly string[]> | undefined {
  const etag = fieldValue(notModifiedResponse, 'etag');
  if (etag !== undefined && (storedValidators.etag === undefined || etag !== storedValidators.etag)) {
    // §4.3.4: a strong validator selects the stored responses with the same one; a weak
    // or absent stored tag is not the same representation for certain.
    if (
      etag.startsWith('W/') ||
      storedValidators.etag === undefined ||
      !weakMatch(etag, storedValidators.etag)
    )
      return undefined;
  }
  const out: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(stored)) if (value !== undefined) out[name] = value;
  for (const [name, value] of Object.entries(notModifiedResponse)) {
    if (value === undefined || KEPT_FIELDS.has(name)) continue;
    out[name] = value;
  }
  return out;
}
