/**
 * Freshness of a stored response (RFC 9111 §4.2), pure: header values and
 * instants (epoch ms) in, milliseconds out. Instants end in `At`, lengths in
 * `Ms`; header values stay in the seconds the RFCs speak.
 */
import { type CacheControl, deltaSeconds } from './cache-control.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850 = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete asctime: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * An HTTP-date (RFC 9110 §5.6.7) as epoch ms: IMF-fixdate, and the two
 * obsolete forms a recipient must accept; `undefined` for anything else. A
 * two-digit RFC 850 year more than 50 years in the future (from `nowAt`) is
 * read as the past century's.
 */
export function httpDate(text: string | undefined, nowAt = Date.now()): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  let match = IMF.exec(value);
  if (match !== null) return utc(match[3], match[2], match[1], match[4], match[5], match[6]);
  match = RFC850.exec(value);
  if (match !== null) {
    const century = Math.floor(new Date(nowAt).getUTCFullYear() / 100) * 100;
    let year = century + Number(match[3]);
    if (year > new Date(nowAt).getUTCFullYear() + 50) year -= 100;
    return utc(String(year), match[2], match[1], match[4], match[5], match[6]);
  }
  match = ASCTIME.exec(value);
  if (match !== null) return utc(match[6], match[1], match[2], match[3], match[4], match[5]);
  return undefined;
}

function utc(
  year: string | undefined,
  month: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const monthIndex = MONTHS.indexOf((month ?? '').toLowerCase());
  const [y, d, h, m, s] = [year, day, hour, minute, second].map((part) => Number((part ?? '').trim()));
  if (monthIndex === -1 || [y, d, h, m, s].some((n) => n === undefined || !Number.isInteger(n)))
    return undefined;
  const at = Date.UTC(y as number, monthIndex, d as number, h as number, m as number, s as number);
  // Reject what Date.UTC would roll over (31 Feb, 25:00, 61 seconds).
  const check = new Date(at);
  if (
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== m ||
    check.getUTCSeconds() !== s
  )
    return undefined;
  return at;
}

/** The heuristic a cache may apply where nothing explicit is given (RFC 9111 §4.2.2), or none. */
export interface Heuristic {
  /** The share of the time since `Last-Modified` that the response stays fresh (10 % is the RFC's example). */
  readonly fraction: number;
  /** The longest heuristic lifetime. */
  readonly maxMs: number;
}

/** What the lifetime is computed from. */
export interface LifetimeInput {
  readonly cacheControl: CacheControl;
  readonly dateHeader: string | undefined;
  readonly expiresHeader: string | undefined;
  readonly lastModifiedHeader: string | undefined;
  /** When the response was received, for a response without a valid `Date`. */
  readonly responseAt: number;
  /** Whether the status is heuristically cacheable or the response is `public` (§4.2.2). */
  readonly heuristicAllowed: boolean;
  readonly heuristic: Heuristic | false;
}

/**
 * The freshness lifetime a shared cache gives a response (RFC 9111 §4.2.1):
 * `s-maxage`, else `max-age`, else `Expires` − `Date`, else the heuristic
 * where §4.2.2 allows it, else 0. An invalid directive value, or an invalid
 * `Expires` (such as "0"), makes it 0: stale (§4.2.1, §5.3).
 */
export function freshnessLifetimeMs(input: LifetimeInput): number {
  const { cacheControl } = input;
  for (const name of ['s-maxage', 'max-age']) {
    const seconds = deltaSeconds(cacheControl, name);
    if (seconds === null) return 0;
    if (seconds !== undefined) return seconds * 1000;
  }
  if (input.expiresHeader !== undefined) {
    const expiresAt = httpDate(input.expiresHeader, input.responseAt);
    if (expiresAt === undefined) return 0;
    const dateAt = httpDate(input.dateHeader, input.responseAt) ?? input.responseAt;
    return Math.max(0, expiresAt - dateAt);
  }
  if (input.heuristic === false || !input.heuristicAllowed) return 0;
  const lastModifiedAt = httpDate(input.lastModifiedHeader, input.responseAt);
  if (lastModifiedAt === undefined) return 0;
  const dateAt = httpDate(input.dateHeader, input.responseAt) ?? input.responseAt;
  return Math.min(input.heuristic.maxMs, Math.max(0, (dateAt - lastModifiedAt) * input.heuristic.fraction));
}

/** What the age is computed from (RFC 9111 §4.2.3). */
export interface AgeInput {
  readonly ageHeader: string | undefined;
  readonly dateHeader: string | undefined;
  /** When the request that got the response was sent, and when the response arrived. */
  readonly requestAt: number;
  readonly responseAt: number;
  readonly nowAt: number;
}

/**
 * The response's current age (RFC 9111 §4.2.3): the larger of its apparent age
 * (arrival − `Date`) and its `Age` plus the request's round trip, plus the
 * time it has been stored. An `Age` that is not delta-seconds is ignored.
 */
export function currentAgeMs(input: AgeInput): number {
  const dateAt = httpDate(input.dateHeader, input.responseAt);
  const apparentMs = dateAt === undefined ? 0 : Math.max(0, input.responseAt - dateAt);
  const ageText = input.ageHeader?.trim();
  const ageSeconds =
    ageText !== undefined && /^[0-9]+$/.test(ageText) ? Math.min(Number(ageText), 2 ** 31) : 0;
  const correctedAgeMs = ageSeconds * 1000 + Math.max(0, input.responseAt - input.requestAt);
  const initialMs = Math.max(apparentMs, correctedAgeMs);
  return initialMs + Math.max(0, input.nowAt - input.responseAt);
}

/** The `Age` header value a cache sends with a stored response: whole seconds (RFC 9111 §5.1). */
export function ageHeader(ageMs: number): string {
  return String(Math.min(Math.floor(Math.max(0, ageMs) / 1000), 2 ** 31));
}
