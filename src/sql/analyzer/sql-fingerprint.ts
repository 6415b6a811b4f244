/**
 * The metrics label of a SQL text and the Larder hints in its comments, from
 * libpg-query's normalized text (literals already `$n`). Normalization keeps
 * comments verbatim — a sqlcommenter `/*traceparent='…'*\/` would make every
 * request a new label and leak values — and leaves the literals of utility
 * statements (`COMMENT ON … IS 'x'`, `CREATE TABLE … DEFAULT 'x'`,
 * `COPY … FROM '/path'`) in place. One pass over the normalized text fixes
 * both: comments are dropped (their hints kept), remaining string literals
 * become `$n`, whitespace runs become one space.
 *
 * Hints are read from comments only, never from string literals: after
 * normalization a string literal of a DML statement is already `$n`, and this
 * pass skips the others as literals.
 */
import type { SqlAnalysis } from './sql-analysis.js';

type Hint = NonNullable<SqlAnalysis['hint']>;

/** The label and the hints of one SQL text. */
export interface Fingerprint {
  readonly fingerprint: string;
  readonly hint: Hint | undefined;
}

const HINT = /\blarder:(skip|cache|ttl=([0-9A-Za-z.]+))/g;
const PARAM = /\$(\d+)/g;
const SPECIAL = /[-/"'$]/g;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/;

/**
 * Strip comments (collecting `larder:skip`, `larder:cache`, `larder:ttl=30s`
 * hints from them), replace the string literals normalization left with `$n`,
 * and collapse whitespace.
 */
export function fingerprintSql(normalized: string): Fingerprint {
  let next = 1;
  for (const match of normalized.matchAll(PARAM)) next = Math.max(next, Number(match[1]) + 1);
  let out = '';
  let hint: Hint | undefined;
  const length = normalized.length;
  let i = 0;
  while (i < length) {
    // Copy plain text up to the next character that may start a comment, a quote or a dollar quote.
    SPECIAL.lastIndex = i;
    const j = SPECIAL.exec(normalized)?.index ?? length;
    out += normalized.slice(i, j);
    i = j;
    if (i >= length) break;
    const ch = normalized[i] as string;
    const after = normalized[i + 1];
    if ((ch === '-' && after === '-') || (ch === '/' && after === '*')) {
      const end = ch === '-' ? lineCommentEnd(normalized, i) : blockCommentEnd(normalized, i);
      hint = readHints(normalized.slice(i, end), hint);
      out += ' ';
      i = end;
    } else if (ch === '"') {
      const end = quotedEnd(normalized, i, '"', false);
      out += normalized.slice(i, end);
      i = end;
    } else if (ch === "'") {
      const prefix = stringPrefixLength(normalized, i);
      out = `${out.slice(0, out.length - prefix)}$${next++}`;
      i = quotedEnd(normalized, i, "'", prefix === 1 && /[eE]/.test(normalized[i - 1] as string));
    } else {
      const tag =
        ch === '$' && !isIdentifierChar(normalized[i - 1])
          ? DOLLAR_TAG.exec(normalized.slice(i, i + 64))
          : null;
      if (tag === null) {
        out += ch;
        i++;
      } else {
        const close = normalized.indexOf(tag[0], i + tag[0].length);
        out += `$${next++}`;
        i = close === -1 ? length : close + tag[0].length;
      }
    }
  }
  return {
    fingerprint: out.replace(/\s+/g, ' ').trim(),
    hint: hint === undefined ? undefined : Object.freeze(hint),
  };
}

function lineCommentEnd(text: string, start: number): number {
  const newline = text.indexOf('\n', start);
  return newline === -1 ? text.length : newline;
}

/** Block comments nest in Postgres. */
function blockCommentEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return text.length;
}

/** The end of a quoted token starting at `start`; a doubled quote is an escaped quote. */
function quotedEnd(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') i += 2;
    else if (ch === quote) {
      if (text[i + 1] !== quote) return i + 1;
      i += 2;
    } else i++;
  }
  return text.length;
}

/**
 * The length of the `E`, `B`, `X`, `N` or `U&` written right before the quote at
 * `quote`, which belong to the literal (read from the source: the output is a
 * rope that a lookup would flatten).
 */
function stringPrefixLength(text: string, quote: number): number {
  const before = text[quote - 1];
  if (before !== undefined && 'eEbBxXnN'.includes(before) && !isIdentifierChar(text[quote - 2])) return 1;
  if (before === '&' && /[uU]/.test(text[quote - 2] ?? '') && !isIdentifierChar(text[quote - 3])) return 2;
  return 0;
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\w$\u0080-\uffff]/.test(ch);
}

function readHints(comment: string, hint: Hint | undefined): Hint | undefined {
  let found: { skip?: boolean; force?: boolean; ttl?: string } | undefined = hint && { ...hint };
  for (const match of comment.matchAll(HINT)) {
    found ??= {};
    if (match[1] === 'skip') found.skip = true;
    else if (match[1] === 'cache') found.force = true;
    else if (found.ttl === undefined && match[2] !== undefined) found.ttl = match[2];
  }
  return found;
}
