/**
 * The cache key of a request, pure (RFC 9111 §2, §4.1): the primary key is
 * the target URI — scheme, a host from an allow-list, path and query — and a
 * variant is selected by the request's values of the fields the stored
 * response's `Vary` names. Everything that goes into a key is checked first:
 * an unknown `Host` (Host-header poisoning), an overlong URL or a value with
 * CR, LF or NUL is never a key.
 */
import { fieldLines, type HeaderFields, safeFieldValue } from './header-fields.js';

/** What the key is built from. */
export interface KeyRequest {
  /** `http` or `https`: as this server was reached (a proxy in front says so with its own configuration). */
  readonly scheme: string;
  /** The request's `Host` (or `:authority`). */
  readonly host: string | undefined;
  /** The request target in origin-form: path and query, as received. */
  readonly target: string;
}

/** How keys are built. */
export interface KeyRules {
  /** Whether a host (lowercase, with its port when one was given) may be part of a key. */
  readonly allowHost: (host: string) => boolean;
  /** Whether a query parameter (by decoded name) is left out of the key, such as `utm_source`. */
  readonly ignoreParam: (name: string) => boolean;
  /** Sort query parameters by name (stable: repeated names keep their order). */
  readonly sortQuery: boolean;
  /** The longest request target that can be a key. */
  readonly maxTargetLength: number;
}

/** Why a request has no key. */
export type NoKeyReason = 'host' | 'target';

/** The primary key, or why there is none. */
export type PrimaryKey =
  | { readonly ok: true; readonly key: string; readonly host: string; readonly path: string }
  | { readonly ok: false; readonly reason: NoKeyReason };

/** RFC 9110 §4.2.3: a host is case-insensitive; `host:` with an empty port is the host. */
function normalHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith(':') ? lower.slice(0, -1) : lower;
}

/** A request target a key may hold: origin-form, visible ASCII only (RFC 9112 §3.2: no whitespace or controls). */
function plainTarget(target: string, maxLength: number): boolean {
  if (target.length === 0 || target.length > maxLength || target.charCodeAt(0) !== 47 /* / */) return false;
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code <= 32 || code >= 127) return false;
  }
  return true;
}

/** A parameter's decoded name, or the raw one when it does not decode. */
function paramName(pair: string): string {
  const equals = pair.indexOf('=');
  const raw = (equals < 0 ? pair : pair.slice(0, equals)).replaceAll('+', ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The query with ignored parameters left out, and sorted when asked; `''` for none. */
export function normalQuery(query: string, rules: Pick<KeyRules, 'ignoreParam' | 'sortQuery'>): string {
  if (query === '') return '';
  const pairs = query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => ({ pair, name: paramName(pair) }))
    .filter(({ name }) => !rules.ignoreParam(name));
  // Array.prototype.sort is stable: `a=2&a=1` keeps its order, which the application may read.
  if (rules.sortQuery) pairs.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return pairs.map(({ pair }) => pair).join('&');
}

/**
 * The primary cache key (RFC 9111 §2): scheme, host, path and normalised
 * query. GET and HEAD share it: a HEAD is answered from a stored GET (§4).
 */
export function primaryKey(request: KeyRequest, rules: KeyRules): PrimaryKey {
  if (request.host === undefined || !safeFieldValue(request.host, 255)) return { ok: false, reason: 'host' };
  const host = normalHost(request.host.trim());
  if (host === '' || !rules.allowHost(host)) return { ok: false, reason: 'host' };
  if (!plainTarget(request.target, rules.maxTargetLength)) return { ok: false, reason: 'target' };
  const mark = request.target.indexOf('?');
  const path = mark < 0 ? request.target : request.target.slice(0, mark);
  const query = mark < 0 ? '' : normalQuery(request.target.slice(mark + 1), rules);
  const scheme = request.scheme.toLowerCase();
  return { ok: true, key: `${scheme}://${host}${path}${query === '' ? '' : `?${query}`}`, host, path };
}

/**
 * The lowercase, sorted, deduplicated field names a response's `Vary` lists
 * (RFC 9111 §4.1), or `'*'`.
 */
export function varyNames(headers: HeaderFields): readonly string[] | '*' {
  const names = new Set<string>();
  for (const line of fieldLines(headers, 'vary'))
    for (const member of line.split(',')) {
      const name = member.trim().toLowerCase();
      if (name === '*') return '*';
      if (name !== '') names.add(name);
    }
  return [...names].sort();
}

/**
 * The request's values of the `Vary` fields, encoded so that no two
 * different requests meet (RFC 9111 §4.1): each value is normalised
 * (lines joined with ", ", whitespace around commas dropped, as §4.1
 * allows) and written length-first, and an absent field differs from an
 * empty one. Django joins the values with nothing between them, so
 * `Accept-Language: en` + `X: US` met `Accept-Language: enU` + `X: S`.
 * Returns undefined when a value cannot be used (CR/LF/NUL or over `maxLength`).
 */
export function varySelector(
  names: readonly string[],
  headers: HeaderFields,
  maxLength: number,
): string | undefined {
  let out = '';
  for (const name of names) {
    const lines = fieldLines(headers, name);
    if (lines.length === 0) {
      out += `${name.length}:${name}-;`;
      continue;
    }
    const value = lines
      .join(',')
      .replace(/[ \t]*,[ \t]*/g, ',')
      .trim();
    if (!safeFieldValue(value, maxLength)) return undefined;
    out += `${name.length}:${name}=${value.length}:${value};`;
  }
  return out;
}
