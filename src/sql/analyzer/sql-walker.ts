/**
 * A generic walk over one statement's parse tree (libpg-query's JSON, node
 * shapes as in @pgsql/types) that records the relations read and written, the
 * functions called and what makes a read uncacheable. Fields typed as a
 * specific struct appear "bare" in that JSON (`InsertStmt.relation` is
 * `{ relname, … }`, not `{ RangeVar: { … } }`), so a RangeVar is recognised by
 * its shape wherever it sits; the few nodes with scoping or target semantics
 * (SELECT and its set operations, INSERT/UPDATE/DELETE/MERGE, WITH) have
 * handlers, everything else is walked field by field.
 */
import { functionVolatility } from './function-volatility.js';
import type { RelationRef } from './sql-analysis.js';
import { isTimeDependentValue } from './time-dependent-value.js';

/** One parse-tree object. */
export type Tree = { readonly [field: string]: unknown };

/** `write`: RangeVars met are written (DDL targets); `read`: they are read. */
export type Mode = 'read' | 'write';

/** The CTE names visible at a point of the tree, innermost WITH first. */
export type Scope = { readonly names: ReadonlySet<string>; readonly parent: Scope } | undefined;

/** What walking one statement found. */
export interface Findings {
  readonly allow: ReadonlySet<string> | undefined;
  readonly reads: Map<string, RelationRef>;
  readonly writes: Map<string, RelationRef>;
  readonly functions: Set<string>;
  readonly unknownFunctions: Set<string>;
  /** The first INSERT/UPDATE/DELETE/MERGE met, at the top or in a WITH. */
  dmlKind: 'insert' | 'update' | 'delete' | 'merge' | undefined;
  volatile: boolean;
  locking: boolean;
  systemCatalog: boolean;
  tempTable: boolean;
  selectInto: boolean;
  changesSearchPath: boolean;
  createsTemp: boolean;
  unknownWrites: boolean;
}

/** Empty findings for one statement. */
export function newFindings(allow: ReadonlySet<string> | undefined): Findings {
  return {
    allow,
    reads: new Map(),
    writes: new Map(),
    functions: new Set(),
    unknownFunctions: new Set(),
    dmlKind: undefined,
    volatile: false,
    locking: false,
    systemCatalog: false,
    tempTable: false,
    selectInto: false,
    changesSearchPath: false,
    createsTemp: false,
    unknownWrites: false,
  };
}

type Handler = (node: Tree, mode: Mode, scope: Scope, f: Findings) => void;

/** Walk any part of a parse tree. */
export function walk(value: unknown, mode: Mode, scope: Scope, f: Findings): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, mode, scope, f);
    return;
  }
  const node = value as Tree;
  if (isRangeVar(node)) {
    relation(node, mode, scope, f);
    return;
  }
  for (const key in node) {
    const child = node[key];
    if (typeof child !== 'object' || child === null) continue;
    // Node types are PascalCase, fields camelCase: only a node type can have a handler.
    const handler = key.charCodeAt(0) <= 90 ? HANDLERS.get(key) : undefined;
    if (handler === undefined) walk(child, mode, scope, f);
    else handler(child as Tree, mode, scope, f);
  }
}

/** A RangeVar, wrapped or bare: the parser always sets `relpersistence`. */
export function isRangeVar(node: Tree): boolean {
  return typeof node.relname === 'string' && typeof node.relpersistence === 'string';
}

/** Record the relation a RangeVar names; in read mode a CTE in scope is not a relation. */
export function relation(node: Tree, mode: Mode, scope: Scope, f: Findings): void {
  const name = node.relname as string;
  const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined;
  if (mode === 'write') {
    addRelation(f.writes, schema, name);
    return;
  }
  if (schema === undefined && inScope(scope, name)) return;
  addRelation(f.reads, schema, name);
  if (isTempSchema(schema)) f.tempTable = true;
  else if (isCatalog(schema, name)) f.systemCatalog = true;
}

/** Add `schema.name` to a relation set (first spelling kept). */
export function addRelation(set: Map<string, RelationRef>, schema: string | undefined, name: string): void {
  // NUL cannot occur in identifiers, so the key cannot collide across schema/name splits.
  const key = schema === undefined ? name : `${schema}\u0000${name}`;
  if (!set.has(key)) set.set(key, Object.freeze({ schema, name }));
}

/** `pg_temp` is the session's temporary schema under any spelling (`pg_temp_3`). */
export function isTempSchema(schema: string | undefined): boolean {
  return schema !== undefined && (schema === 'pg_temp' || /^pg_temp_\d+$/.test(schema));
}

function isCatalog(schema: string | undefined, name: string): boolean {
  if (schema === undefined) return name.startsWith('pg_');
  return schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_toast');
}

function inScope(scope: Scope, name: string): boolean {
  for (let s = scope; s !== undefined; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

/** The strings of a name list (`[{ String: { sval } }, …]`). */
export function nameList(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const sval = ((item as Tree).String as Tree | undefined)?.sval;
    if (typeof sval === 'string') out.push(sval);
  }
  return out;
}

/**
 * Register a WITH clause: each CTE body is walked with the names it can see
 * (earlier siblings only; with RECURSIVE every sibling, itself included), and
 * the scope of the statement body is returned.
 */
function withClause(clause: unknown, scope: Scope, f: Findings): Scope {
  if (typeof clause !== 'object' || clause === null) return scope;
  const ctes = ((clause as Tree).ctes as unknown[] | undefined) ?? [];
  const bodies = ctes.map((cte) => ((cte as Tree).CommonTableExpr ?? {}) as Tree);
  if ((clause as Tree).recursive === true) {
    const all: Scope = { names: new Set(bodies.map((cte) => cte.ctename as string)), parent: scope };
    for (const cte of bodies) walk(cte.ctequery, 'read', all, f);
    return all;
  }
  let current = scope;
  for (const cte of bodies) {
    walk(cte.ctequery, 'read', current, f);
    current = { names: new Set([cte.ctename as string]), parent: current };
  }
  return current;
}

function selectStmt(node: Tree, _mode: Mode, scope: Scope, f: Findings): void {
  const inner = withClause(node.withClause, scope, f);
  const into = node.intoClause as Tree | undefined;
  if (into !== undefined) {
    f.selectInto = true;
    createTarget(into.rel as Tree | undefined, f);
  }
  // The rows a locking clause names are in FROM already; they are not walked.
  if (node.lockingClause !== undefined) f.locking = true;
  for (const key in node) {
    if (key === 'withClause' || key === 'intoClause' || key === 'lockingClause') continue;
    const child = node[key];
    // Set operations hold their arms as bare SelectStmts, under the same WITH.
    if (key === 'larg' || key === 'rarg') selectStmt(child as Tree, 'read', inner, f);
    else walk(child, 'read', inner, f);
  }
}

/** Record the relation a CREATE … / SELECT INTO creates, and whether it is temporary. */
export function createTarget(rangeVar: Tree | undefined, f: Findings): void {
  if (rangeVar === undefined) return;
  relation(rangeVar, 'write', undefined, f);
  const schema = typeof rangeVar.schemaname === 'string' ? rangeVar.schemaname : undefined;
  if (rangeVar.relpersistence === 't' || isTempSchema(schema)) f.createsTemp = true;
}

function modifyStmt(kind: 'insert' | 'update' | 'delete' | 'merge'): Handler {
  return (node, _mode, scope, f) => {
    f.dmlKind ??= kind;
    const inner = withClause(node.withClause, scope, f);
    // The target of a data-modifying statement is always a table or view, never a CTE.
    if (node.relation !== undefined) relation(node.relation as Tree, 'write', undefined, f);
    for (const key in node) {
      if (key !== 'relation' && key !== 'withClause') walk(node[key], 'read', inner, f);
    }
  };
}

/** Record a call of the function named by `parts` (`['pg_catalog', 'now']`) with `argCount` arguments. */
export function callFunction(parts: readonly string[], argCount: number, f: Findings): void {
  const name = parts[parts.length - 1];
  if (name === undefined) return;
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const written = parts.join('.');
  f.functions.add(written);
  if (f.allow !== undefined && (f.allow.has(written) || f.allow.has(name))) return;
  const volatility = functionVolatility(schema, name, argCount);
  if (volatility === 'volatile') f.volatile = true;
  else if (volatility === 'unknown') f.unknownFunctions.add(written);
}

/** A FuncCall node (also reached bare, from CallStmt). */
export function funcCall(node: Tree, mode: Mode, scope: Scope, f: Findings): void {
  const parts = nameList(node.funcname);
  const args = Array.isArray(node.args) ? node.args : [];
  callFunction(parts, args.length, f);
  const name = parts[parts.length - 1];
  if (name === 'set_config' && (parts.length === 1 || parts[0] === 'pg_catalog')) {
    // Unless the setting is a literal naming something else, it may be the search path.
    const setting = stringConstant(args[0]);
    if (setting === undefined || SEARCH_PATH_SETTINGS.has(setting.toLowerCase())) f.changesSearchPath = true;
  }
  for (const key in node) if (key !== 'funcname') walk(node[key], mode, scope, f);
}

/** Settings whose change alters how unqualified names resolve (`"$user"` is in the default path). */
export const SEARCH_PATH_SETTINGS: ReadonlySet<string> = new Set([
  'search_path',
  'role',
  'session_authorization',
]);

/** The value of a string A_Const node, or `undefined`. */
export function stringConstant(node: unknown): string | undefined {
  const constant = (node as Tree | undefined)?.A_Const as Tree | undefined;
  const sval = (constant?.sval as Tree | undefined)?.sval;
  return typeof sval === 'string' ? sval : undefined;
}

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['SelectStmt', selectStmt],
  ['InsertStmt', modifyStmt('insert')],
  ['UpdateStmt', modifyStmt('update')],
  ['DeleteStmt', modifyStmt('delete')],
  ['MergeStmt', modifyStmt('merge')],
  ['FuncCall', funcCall],
  [
    'SQLValueFunction',
    (node, _mode, _scope, f) => {
      // SVFOP_CURRENT_TIMESTAMP_N → current_timestamp
      const op = typeof node.op === 'string' ? node.op : '';
      callFunction(
        [
          op
            .replace(/^SVFOP_/, '')
            .replace(/_N$/, '')
            .toLowerCase(),
        ],
        0,
        f,
      );
    },
  ],
  [
    'A_Const',
    (node, _mode, _scope, f) => {
      // A literal may become a date/time by its context, or a cast — also through
      // another cast ('now'::text::date), so casts to text types are not trusted either.
      const sval = (node.sval as Tree | undefined)?.sval;
      if (isTimeDependentValue(sval)) f.volatile = true;
    },
  ],
  [
    'RangeTableSample',
    (node, mode, scope, f) => {
      // TABLESAMPLE returns a random subset of the rows.
      f.volatile = true;
      walk(node.relation, mode, scope, f);
    },
  ],
  [
    'ExecuteStmt',
    (_node, _mode, _scope, f) => {
      // CREATE TABLE … AS EXECUTE q runs a prepared statement this text does not show.
      f.unknownWrites = true;
    },
  ],
  ['TableLikeClause', (node, _mode, scope, f) => walk(node.relation, 'read', scope, f)],
  [
    'Constraint',
    (node, mode, scope, f) => {
      // REFERENCES other(id) reads `other`'s definition; it does not change its rows.
      for (const key in node) walk(node[key], key === 'pktable' ? 'read' : mode, scope, f);
    },
  ],
]);
