/**
 * Reading header fields as RFC 9110 §5 defines them, pure: a field sent on
 * several lines is one comma-separated list (§5.3), names are
 * case-insensitive (§5.1) and given here in lowercase.
 */

/** Header fields by lowercase name; a field sent on several lines is an array. */
export type HeaderFields = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A field's lines, as one list. */
export function fieldLines(headers: HeaderFields, name: string): readonly string[] {
  const value = headers[name];
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** A field's value as one line (RFC 9110 §5.3: lines joined with ", "), or undefined when absent. */
export function fieldValue(headers: HeaderFields, name: string): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : typeof value === 'string' ? value : value.join(', ');
}

/** The comma-separated members of a list field (RFC 9110 §5.6.1), trimmed and lowercased, empty ones dropped. */
export function listMembers(headers: HeaderFields, name: string): string[] {
  const out: string[] = [];
  for (const line of fieldLines(headers, name))
    for (const member of line.split(',')) {
      const trimmed = member.trim().toLowerCase();
      if (trimmed !== '') out.push(trimmed);
    }
  return out;
}

/**
 * Whether a field value may be used at all: RFC 9110 §5.5 forbids CR, LF and
 * NUL in field values (a value holding them is an injection attempt, never a
 * key or a stored header), and values beyond `maxLength` are refused too.
 */
export function safeFieldValue(value: string, maxLength: number): boolean {
  if (value.length > maxLength) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code === 10 || code === 13) return false;
  }
  return true;
}
