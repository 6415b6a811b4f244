/**
 * How an argument of `{% cache %}` reads in the template, rebuilt from its
 * parsed node, so that an error can name the variable it could not find
 * (`category.id`) — at run time the tag sees only values.
 */

/** The parts of a Nunjucks parser node this file reads (nunjucks/src/nodes.js). */
export interface TemplateNode {
  readonly typename: string;
  readonly lineno?: number;
  readonly colno?: number;
  readonly value?: unknown;
  readonly target?: TemplateNode;
  readonly val?: TemplateNode;
  readonly name?: TemplateNode;
  readonly args?: { readonly children: readonly TemplateNode[] };
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The source form of an expression node: `page`, `category.id`, `items[0]`,
 * `"x"`, `none`, `user.name | lower`; other nodes by their kind.
 * @example expressionText(symbolNode) // 'page'
 */
export function expressionText(node: TemplateNode): string {
  switch (node.typename) {
    case 'Symbol':
      return String(node.value);
    case 'Literal':
      return node.value === null ? 'none' : JSON.stringify(node.value);
    case 'LookupVal': {
      const target = node.target === undefined ? '?' : expressionText(node.target);
      const key = node.val;
      if (key?.typename === 'Literal' && typeof key.value === 'string' && IDENTIFIER.test(key.value))
        return `${target}.${key.value}`;
      return `${target}[${key === undefined ? '?' : expressionText(key)}]`;
    }
    case 'FunCall':
      return `${node.name === undefined ? '?' : expressionText(node.name)}(…)`;
    case 'Filter':
    case 'FilterAsync': {
      const input = node.args?.children[0];
      const filter = node.name === undefined ? '?' : expressionText(node.name);
      return input === undefined ? filter : `${expressionText(input)} | ${filter}`;
    }
    default:
      return `(a ${node.typename} expression)`;
  }
}
