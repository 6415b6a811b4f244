/**
 * The ```ts code blocks of a Markdown page, for the test that type-checks and
 * runs the documentation (src/docs-examples.integration.test.ts).
 */

/** One ```ts block of a Markdown page. */
export interface MarkdownExample {
  /** The page, as given. */
  readonly file: string;
  /** The line of the opening fence, 1-based. */
  readonly line: number;
  /** The code between the fences. */
  readonly code: string;
  /**
   * `true` when the block is marked `<!-- snippet -->` (on the last non-blank
   * line before its fence): a fragment that uses variables it does not declare,
   * type-checked after the documented preamble. Otherwise the block is a whole
   * module that must compile on its own.
   */
  readonly snippet: boolean;
}

const SNIPPET_MARK = /^<!--\s*snippet\s*-->$/;

/**
 * Every block fenced with ```ts (or ```typescript) in `markdown`, in page order.
 * @example markdownExamples(readFileSync('README.md', 'utf8'), 'README.md')
 */
export function markdownExamples(markdown: string, file: string): MarkdownExample[] {
  const lines = markdown.split('\n');
  const examples: MarkdownExample[] = [];
  let lastText = '';
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trimEnd();
    const fence = /^(\s*)(`{3,}|~{3,})\s*(\S*)/.exec(line);
    if (fence === null) {
      if (line.trim() !== '') lastText = line.trim();
      continue;
    }
    const [, indent = '', marks = '```', language = ''] = fence;
    // Find the closing fence: the same characters, at least as many.
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const candidate = (lines[end] ?? '').trimEnd();
      if (candidate.trim().startsWith(marks) && candidate.trim().replace(/[`~]/g, '') === '') break;
      body.push(candidate.startsWith(indent) ? candidate.slice(indent.length) : candidate);
    }
    if (language === 'ts' || language === 'typescript') {
      examples.push({
        file,
        line: index + 1,
        code: `${body.join('\n')}\n`,
        snippet: SNIPPET_MARK.test(lastText),
      });
    }
    lastText = '';
    index = end;
  }
  return examples;
}
