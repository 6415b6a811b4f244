/**
 * A response as the page cache stores it, and how a stored response answers a
 * request (RFC 9111 §3, §4, §4.2.3, §4.3.2).
 */
import { createHash } from 'node:crypto';
import { type CacheControl, parseCacheControl } from './rules/cache-control.js';
import { notModified, notModifiedFields } from './rules/conditional.js';
import { ageHeader, currentAgeMs } from './rules/freshness.js';
import { fieldValue, type HeaderFields } from './rules/header-fields.js';

/** Header fields as stored and sent: lowercase names. */
export type OutgoingFields = Record<string, string | readonly string[]>;

/** One stored response (a variant of a URL). */
export interface StoredResponse {
  readonly status: number;
  /** Its header fields without those a cache must not store (RFC 9111 §3.1). */
  readonly headers: OutgoingFields;
  readonly body: Uint8Array;
  /** When the request that got it was sent, and when its header arrived (RFC 9111 §4.2.3). */
  readonly requestAt: number;
  readonly responseAt: number;
  readonly lifetimeMs: number;
  /** The request fields its `Vary` names, lowercase, sorted: what selects it (RFC 9111 §4.1). */
  readonly vary: readonly string[];
  /** The ETag was made by the cache (from the body), not the origin: never sent to the origin. */
  readonly generatedEtag: boolean;
}

/** What a stored response is answered as. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: OutgoingFields;
  /** undefined: no body (HEAD, 304). */
  readonly body: Uint8Array | undefined;
}

/** A strong ETag from the body's hash (RFC 9110 §8.8.3): the same bytes, the same tag, in every process. */
export function bodyEtag(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** What every answer reads of a stored response, worked out once per decoded object. */
interface Facts {
  readonly control: CacheControl;
  /** Its age when it arrived (RFC 9111 §4.2.3: corrected initial age). */
  readonly initialAgeMs: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

/**
 * Facts by stored object: a memory store or a tiered L1 hands out the same
 * decoded (frozen) object on every hit, so its `Cache-Control` and dates are
 * parsed once, not on every request.
 */
const FACTS = new WeakMap<StoredResponse, Facts>();

function factsOf(stored: StoredResponse): Facts {
  let facts = FACTS.get(stored);
  if (facts === undefined) {
    facts = {
      control: parseCacheControl(stored.headers['cache-control']),
      initialAgeMs: currentAgeMs({
        ageHeader: fieldValue(stored.headers, 'age'),
        dateHeader: fieldValue(stored.headers, 'date'),
        requestAt: stored.requestAt,
        responseAt: stored.responseAt,
        nowAt: stored.responseAt,
      }),
      etag: fieldValue(stored.headers, 'etag'),
      lastModified: fieldValue(stored.headers, 'last-modified'),
    };
    FACTS.set(stored, facts);
  }
  return facts;
}

/** The response's `Cache-Control`, parsed. */
export function storedControl(stored: StoredResponse): CacheControl {
  return factsOf(stored).control;
}

/** Its current age (RFC 9111 §4.2.3): the age it arrived with plus the time it has been stored. */
export function storedAgeMs(stored: StoredResponse, nowAt: number): number {
  return factsOf(stored).initialAgeMs + Math.max(0, nowAt - stored.responseAt);
}

/** Its validators as the origin knows them. */
export function originValidators(stored: StoredResponse): {
  etag: string | undefined;
  lastModified: string | undefined;
} {
  return {
    etag: stored.generatedEtag ? undefined : fieldValue(stored.headers, 'etag'),
    lastModified: fieldValue(stored.headers, 'last-modified'),
  };
}

/**
 * Answer `request` from `stored`: a 304 when the request's conditions say the
 * client holds it (RFC 9111 §4.3.2), else the stored response (no body for
 * HEAD). `Age` is computed (§4.2.3, §5.1); `Date` is the origin's, never
 * rewritten. `status` goes in `Cache-Status` (RFC 9211).
 */
export function answerFrom(
  stored: StoredResponse,
  request: { readonly method: string; readonly headers: HeaderFields },
  nowAt: number,
  status: string,
): HttpAnswer {
  const age = ageHeader(storedAgeMs(stored, nowAt));
  const cacheStatus = `larder; ${status}`;
  const facts = factsOf(stored);
  const conditional =
    request.headers['if-none-match'] !== undefined || request.headers['if-modified-since'] !== undefined;
  if (stored.status === 200 && conditional && notModified(request.headers, facts))
    return {
      status: 304,
      headers: { ...notModifiedFields(stored.headers), age, 'cache-status': cacheStatus },
      body: undefined,
    };
  const headers: OutgoingFields = {
    ...stored.headers,
    age,
    'cache-status': cacheStatus,
    'content-length': String(stored.body.byteLength),
  };
  return { status: stored.status, headers, body: request.method === 'HEAD' ? undefined : stored.body };
}
