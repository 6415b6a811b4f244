/**
 * Escape the characters Redis treats as glob syntax in `SCAN MATCH` / `KEYS`
 * patterns (`*`, `?`, `[`, `]` and the backslash itself), so that a prefix such
 * as `a*b[` matches only keys that literally start with it.
 * @example `${escapeGlob('a*b[')}*` // 'a\\*b\\[*'
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
