/**
 * `{% cache timeout name vary... %}…{% endcache %}` for Nunjucks, with Django's
 * syntax and semantics, over `cache.fragment` (docs/fragments.md#nunjucks).
 *
 * It uses only the parser, node classes and lexer that Nunjucks hands to
 * `parse`, so this module loads without importing nunjucks.
 */
import { isLarderError, LarderError } from '../core/errors.js';
import { showValue } from '../core/invalid-option.js';
import { type FragmentVaryValue, pythonStr } from '../core/python-str.js';
import type { Cache } from '../core/types.js';
import { cacheTagTtl } from './cache-tag-ttl.js';
import { expressionText, type TemplateNode } from './expression-text.js';

/** A lexer token (nunjucks/src/lexer.js). */
interface Token {
  readonly type: string;
  readonly value: string;
  readonly lineno: number;
  readonly colno: number;
}

/** The parser methods the tag uses (nunjucks/src/parser.js). */
interface Parser {
  nextToken(withWhitespace?: boolean): Token | null;
  peekToken(): Token | null;
  pushToken(token: Token | null): void;
  skipValue(type: string, value: string): boolean;
  parseExpression(): TemplateNode;
  parseUntilBlocks(...names: string[]): TemplateNode;
  advanceAfterBlockEnd(name?: string): Token;
  fail(message: string, lineno?: number, colno?: number): never;
}

type NodeClass = new (...args: unknown[]) => TemplateNode;

/** The node classes the tag builds (nunjucks/src/nodes.js). */
interface Nodes {
  readonly NodeList: NodeClass;
  readonly Literal: NodeClass;
  readonly Array: NodeClass;
  readonly CallExtensionAsync: new (
    ext: object,
    prop: string,
    args: TemplateNode,
    contentArgs: TemplateNode[],
  ) => TemplateNode;
}

/** Token types (the lexer module's constants). */
interface Lexer {
  readonly TOKEN_STRING: string;
  readonly TOKEN_SYMBOL: string;
  readonly TOKEN_OPERATOR: string;
  readonly TOKEN_INT: string;
  readonly TOKEN_WHITESPACE: string;
  readonly TOKEN_BLOCK_END: string;
}

type Callback = (error: unknown, result?: unknown) => void;
/** A block body as Nunjucks passes it to an extension: renders, then calls back with the text. */
type Body = (callback: Callback) => unknown;

/** The Nunjucks extension of `larderCacheExtension`: give it to `env.addExtension`. */
export interface LarderCacheExtension {
  /** The tag it adds: `cache`. */
  readonly tags: string[];
  /** Parses `{% cache … %}…{% endcache %}` (called by Nunjucks). */
  parse(parser: unknown, nodes: unknown, lexer: unknown): unknown;
  /** Renders one `{% cache %}` block (called by the compiled template). */
  run(context: unknown, ...args: unknown[]): void;
}

/**
 * A Nunjucks extension adding Django's `{% cache %}` tag, which caches the
 * rendered body in `cache` through `cache.fragment` (same keys as Django):
 *
 *     {% cache 600 product_list category.id page %} … {% endcache %}
 *
 * The timeout is whole seconds (a literal, variable or expression; a string
 * such as "10m"; `none` for no expiry); the name a string literal or a bare
 * word; then any number of vary expressions, and optionally `tags=[…]`.
 * Render asynchronously (with a callback, or promisified): the tag is async.
 * @example
 * const env = new nunjucks.Environment();
 * env.addExtension('LarderCache', larderCacheExtension(cache));
 */
export function larderCacheExtension(cache: Cache): LarderCacheExtension {
  if (typeof cache?.fragment !== 'function')
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      `larderCacheExtension(cache): cache must be a Larder cache (from createCache), got ${showValue(cache)}`,
    );
  // Not frozen: Nunjucks writes the registered name onto the extension (__name).
  const extension: LarderCacheExtension = {
    tags: ['cache'],
    parse(parser, nodes, lexer) {
      return parseCacheTag(extension, parser as Parser, nodes as Nodes, lexer as Lexer);
    },
    run(context, ...args) {
      const callback = args.pop() as Callback;
      const body = args.pop() as Body;
      // The arguments parseCacheTag lays out: name, line, texts, timeout, tags, vary...
      const [nameArg, line, textsArg, timeout, tags, ...vary] = args;
      const name = String(nameArg);
      const texts = textsArg as readonly string[];
      // Nunjucks adds no line to errors passed to an async extension's callback: say it here.
      const where = `{% cache ${name} %} on line ${line}`;
      let rendered: Promise<string>;
      try {
        const ttl = cacheTagTtl(timeout, texts[0] ?? 'the timeout', where);
        const varyOn = vary.map((value, index) => checkVary(value, texts[index + 1] ?? '?', where));
        const tagList = checkTags(tags, where);
        rendered = cache.fragment(name, varyOn, ttl, () => renderBody(body), tagList && { tags: tagList });
      } catch (error) {
        rendered = Promise.reject(error);
      }
      rendered.then(
        (text) => callback(null, markSafe(context, text)),
        (error: unknown) => callback(error),
      );
    },
  };
  return extension;
}

/** `{% cache timeout name vary... [tags=expr] %}body{% endcache %}` → a call of `run`. */
function parseCacheTag(extension: object, parser: Parser, nodes: Nodes, lexer: Lexer): TemplateNode {
  const tag = parser.nextToken();
  if (tag === null) return parser.fail('{% cache %}: unexpected end of template');
  const at = (token: Token | null) => token ?? tag;
  if (at(parser.peekToken()).type === lexer.TOKEN_BLOCK_END)
    return parser.fail('{% cache %} needs a timeout and a fragment name', tag.lineno, tag.colno);
  const timeout = parser.parseExpression();
  const name = parseFragmentName(parser, lexer, tag);
  const vary: TemplateNode[] = [];
  let tags: TemplateNode | undefined;
  for (;;) {
    const next = parser.peekToken();
    if (next === null) return parser.fail('{% cache %}: unexpected end of template', tag.lineno, tag.colno);
    if (next.type === lexer.TOKEN_BLOCK_END) break;
    const expression = parser.parseExpression();
    if (parser.skipValue(lexer.TOKEN_OPERATOR, '=')) {
      // Keyword arguments, like Django's `using=`: only `tags` is known.
      if (expression.typename !== 'Symbol' || expression.value !== 'tags')
        return parser.fail(
          `{% cache %}: unknown option ${expressionText(expression)}= (the only option is tags=[…])`,
          next.lineno,
          next.colno,
        );
      tags = parser.parseExpression();
      continue;
    }
    if (tags !== undefined)
      return parser.fail('{% cache %}: tags=… comes after the vary arguments', next.lineno, next.colno);
    vary.push(expression);
  }
  parser.advanceAfterBlockEnd(tag.value);
  const body = parser.parseUntilBlocks('endcache');
  parser.advanceAfterBlockEnd();
  const literal = (value: unknown) => new nodes.Literal(tag.lineno, tag.colno, value);
  // Run receives values only: the source text of each expression goes along, for its errors.
  const texts = new nodes.Array(
    tag.lineno,
    tag.colno,
    [timeout, ...vary].map((n) => literal(expressionText(n))),
  );
  const args = new nodes.NodeList(tag.lineno, tag.colno, [
    literal(name),
    literal(tag.lineno + 1), // tokens count lines from 0
    texts,
    timeout,
    tags ?? literal(null),
    ...vary,
  ]);
  return new nodes.CallExtensionAsync(extension, 'run', args, [body]);
}

/**
 * The fragment name: a string literal, or a bare word taken as written (Django:
 * "the name will be taken as is, do not use a variable"), up to the next space.
 */
function parseFragmentName(parser: Parser, lexer: Lexer, tag: Token): string {
  const first = parser.nextToken();
  if (first === null || first.type === lexer.TOKEN_BLOCK_END)
    return parser.fail('{% cache %} needs a fragment name after the timeout', tag.lineno, tag.colno);
  if (first.type === lexer.TOKEN_STRING) {
    if (first.value === '')
      return parser.fail('{% cache %}: the fragment name is empty', first.lineno, first.colno);
    return first.value;
  }
  if (first.type !== lexer.TOKEN_SYMBOL)
    return parser.fail(
      `{% cache %}: the fragment name must be a string literal or a bare word, got ${first.type} ${first.value}`,
      first.lineno,
      first.colno,
    );
  // A bare name such as `local-thing` lexes as several tokens: join them up to the next space.
  let name = first.value;
  for (;;) {
    const token = parser.nextToken(true);
    // The space is dropped, not pushed back: a pushed-back space would be what
    // the next peekToken() returns, and the block end behind it would go unseen.
    if (token === null || token.type === lexer.TOKEN_WHITESPACE) return name;
    if (token.type === lexer.TOKEN_BLOCK_END) {
      parser.pushToken(token);
      return name;
    }
    if (
      token.type !== lexer.TOKEN_SYMBOL &&
      token.type !== lexer.TOKEN_OPERATOR &&
      token.type !== lexer.TOKEN_INT
    )
      return parser.fail(
        `{% cache %}: unexpected ${token.value} in the fragment name ${name}`,
        token.lineno,
        token.colno,
      );
    name += token.value;
  }
}

/** A vary value as `fragment` takes it; an unknown variable or an object is an error naming it. */
function checkVary(value: unknown, expression: string, where: string): FragmentVaryValue {
  if (value === undefined)
    throw new LarderError('E_TEMPLATE', `${where} got an unknown variable: ${expression}`);
  try {
    pythonStr(value, `${where}: ${expression}`);
  } catch (error) {
    if (!isLarderError(error)) throw error;
    throw new LarderError('E_TEMPLATE', error.message, { cause: error });
  }
  return value as FragmentVaryValue;
}

/** `tags=` as a list of strings (a single string is one tag); none when absent or none. */
function checkTags(tags: unknown, where: string): readonly string[] | undefined {
  if (tags === null) return undefined;
  if (typeof tags === 'string') return [tags];
  if (Array.isArray(tags) && tags.every((tag) => typeof tag === 'string')) return tags;
  throw new LarderError(
    'E_TEMPLATE',
    `${where}: tags must be a string or a list of strings, got ${showValue(tags)}${tags === undefined ? ' (an unknown variable)' : ''}`,
  );
}

/**
 * The text marked safe, so that autoescaping does not escape it twice (the body
 * escaped what it printed). With the env's own `safe` filter, so the SafeString
 * is of the nunjucks copy rendering: `autoescape: false` on the extension would
 * be lost when Nunjucks rebuilds the node around an async filter in the body.
 */
function markSafe(context: unknown, text: string): unknown {
  const env = (context as { readonly env?: { getFilter?(name: string): unknown } } | null)?.env;
  const safe = env?.getFilter?.('safe');
  return typeof safe === 'function' ? safe(text) : text;
}

/** The body's text; a body that throws while rendering (a sync error) rejects too. */
function renderBody(body: Body): Promise<string> {
  return new Promise((resolve, reject) => {
    try {
      body((error, text) => (error ? reject(error) : resolve(String(text ?? ''))));
    } catch (error) {
      reject(error);
    }
  });
}
