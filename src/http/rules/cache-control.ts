/**
 * `Cache-Control` parsing (RFC 9111 §5.2), pure: header field values in,
 * directives out. Never throws on malformed input: unknown directives are
 * ignored (§5.2.3), and a delta-seconds value that is not one makes the
 * response stale rather than fresh (§1.2.2, §4.2.1).
 */

/** The directives of one message, by lowercase name. */
export interface CacheControl {
  /** Each directive once: `true` when it had no argument, its argument (unquoted) otherwise. */
  readonly directives: ReadonlyMap<string, string | true>;
  /** Directive names that appeared more than once with different values (RFC 9111 §4.2.1: treat as stale). */
  readonly conflicting: ReadonlySet<string>;
}

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parse every `Cache-Control` field line of a message (a header that appears
 * on several lines is one comma-separated list, RFC 9110 §5.3). Directive
 * names are case-insensitive (RFC 9111 §5.2); a quoted argument may contain
 * commas (`private="set-cookie, x-user"`), and a backslash escapes the next
 * character (RFC 9110 §5.6.4). A member that is not `token [ "=" ( token /
 * quoted-string ) ]` is skipped, not fatal.
 */
export function parseCacheControl(lines: string | readonly string[] | undefined): CacheControl {
  const directives = new Map<string, string | true>();
  const conflicting = new Set<string>();
  const text = typeof lines === 'string' ? lines : (lines ?? []).join(',');
  let i = 0;
  while (i < text.length) {
    const member = readMember(text, i);
    i = member.end + 1;
    if (member.name === undefined) continue;
    const name = member.name.toLowerCase();
    const value = member.value ?? true;
    const earlier = directives.get(name);
    if (earlier === undefined) directives.set(name, value);
    else if (earlier !== value) conflicting.add(name);
  }
  return { directives, conflicting };
}

/** One list member from `start`: its name and argument when well-formed, and where it ends (the comma or the end). */
function readMember(
  text: string,
  start: number,
): { readonly name: string | undefined; readonly value: string | undefined; readonly end: number } {
  let i = start;
  let name = '';
  while (i < text.length && text[i] !== ',' && text[i] !== '=') name += text[i++];
  name = name.trim();
  if (text[i] !== '=') return { name: TCHAR.test(name) ? name : undefined, value: undefined, end: i };
  i++; // '='
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] === '"') {
    let value = '';
    let closed = false;
    for (i++; i < text.length; i++) {
      const char = text[i] as string;
      if (char === '\\' && i + 1 < text.length) value += text[++i];
      else if (char === '"') {
        closed = true;
        i++;
        break;
      } else value += char;
    }
    const rest = skipTo(text, i);
    const wellFormed = closed && text.slice(i, rest).trim() === '' && TCHAR.test(name);
    return { name: wellFormed ? name : undefined, value, end: rest };
  }
  const end = skipTo(text, i);
  const value = text.slice(i, end).trim();
  const wellFormed = TCHAR.test(name) && TCHAR.test(value);
  return { name: wellFormed ? name : undefined, value, end };
}

function skipTo(text: string, from: number): number {
  const comma = text.indexOf(',', from);
  return comma === -1 ? text.length : comma;
}

/**
 * A delta-seconds directive's value (RFC 9111 §1.2.2): `undefined` when absent,
 * `null` when present but not a valid delta-seconds or given twice with
 * different values — which RFC 9111 §4.2.1 and §5.2.2.1 say to treat as stale.
 * Values too large to represent are 2^31 (§1.2.2).
 */
export function deltaSeconds(control: CacheControl, name: string): number | null | undefined {
  const value = control.directives.get(name);
  if (value === undefined) return undefined;
  if (control.conflicting.has(name) || value === true || !/^[0-9]+$/.test(value)) return null;
  return Math.min(Number(value), 2 ** 31);
}

/**
 * The field names of a qualified `private` or `no-cache` (RFC 9111 §5.2.2.4,
 * §5.2.2.7), lowercased; `undefined` when the directive is absent, `true` when
 * it is unqualified (the whole response).
 */
export function qualifiedFields(control: CacheControl, name: string): ReadonlySet<string> | true | undefined {
  const value = control.directives.get(name);
  if (value === undefined) return undefined;
  if (value === true) return true;
  const fields = value
    .split(',')
    .map((field) => field.trim().toLowerCase())
    .filter((field) => field !== '');
  return fields.length === 0 ? true : new Set(fields);
}
