/**
 * One statement of a parse tree → its StatementAnalysis: the statement kind,
 * transaction control, and the first reason it can never be cached. What it
 * reads and writes comes from the generic walk (sql-walker.ts); this module
 * decides what each statement type means for the cache.
 */
import { ddlWrites } from './ddl-writes.js';
import type { BypassReason, StatementAnalysis, StatementKind, TransactionControl } from './sql-analysis.js';
import {
  type Findings,
  funcCall,
  newFindings,
  relation,
  SEARCH_PATH_SETTINGS,
  type Tree,
  walk,
} from './sql-walker.js';

/** Utility statements that change no rows and whose relations do not matter to the cache. */
const INERT_UTILITY: ReadonlySet<string> = new Set([
  'VacuumStmt',
  'ClusterStmt',
  'ReindexStmt',
  'CheckPointStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'DeallocateStmt',
  'LoadStmt',
]);

const DDL_NODE =
  /^(?:Create|Alter|Drop|Define|Grant|Rename|Comment|Reassign|SecLabel|Refresh|Import|Rule|View|Index|CompositeType)/;

const TRANSACTION: Readonly<Record<string, TransactionControl['kind']>> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback-to',
  TRANS_STMT_PREPARE: 'two-phase',
  TRANS_STMT_COMMIT_PREPARED: 'two-phase',
  TRANS_STMT_ROLLBACK_PREPARED: 'two-phase',
};

interface Verdict {
  readonly kind: StatementKind;
  /** `undefined`: decided from the findings (a read). */
  readonly bypass?: BypassReason;
  readonly transaction?: TransactionControl;
}

/** Analyze one statement node (`{ SelectStmt: { … } }`) of a parse result. */
export function analyzeStatement(statement: Tree, allow: ReadonlySet<string> | undefined): StatementAnalysis {
  const f = newFindings(allow);
  const verdict = classify(statement, f);
  return freezeAnalysis(verdict, f);
}

function classify(statement: Tree, f: Findings): Verdict {
  for (const type in statement) return classifyNode(type, statement[type] as Tree, statement, f);
  return { kind: 'other', bypass: 'utility' };
}

function classifyNode(type: string, node: Tree, statement: Tree, f: Findings): Verdict {
  switch (type) {
    case 'SelectStmt':
      walk(statement, 'read', undefined, f);
      if (f.selectInto) return { kind: 'ddl', bypass: 'select-into' };
      return { kind: f.dmlKind ?? 'select' };
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      walk(statement, 'read', undefined, f);
      return { kind: f.dmlKind ?? 'other', bypass: 'write' };
    case 'TruncateStmt':
      walk(node.relations, 'write', undefined, f);
      // CASCADE also empties every table with a foreign key to these.
      if (node.behavior === 'DROP_CASCADE') f.unknownWrites = true;
      return { kind: 'truncate', bypass: 'write' };
    case 'CopyStmt':
      return copy(node, f);
    case 'TransactionStmt':
      return { kind: 'transaction', bypass: 'transaction-control', transaction: transaction(node) };
    case 'VariableSetStmt':
      if (node.kind === 'VAR_RESET_ALL' || SEARCH_PATH_SETTINGS.has(String(node.name).toLowerCase()))
        f.changesSearchPath = true;
      return { kind: 'set', bypass: 'set' };
    case 'DiscardStmt':
      // DISCARD ALL includes RESET ALL.
      if (node.target === 'DISCARD_ALL') f.changesSearchPath = true;
      return { kind: 'set', bypass: 'set' };
    case 'VariableShowStmt':
    case 'ConstraintsSetStmt':
      return { kind: 'set', bypass: 'set' };
    case 'ListenStmt':
    case 'UnlistenStmt':
    case 'NotifyStmt':
      return { kind: 'listen-notify', bypass: 'listen-notify' };
    case 'ExplainStmt':
      return explain(node, f);
    case 'DeclareCursorStmt':
      walk(node.query, 'read', undefined, f);
      return { kind: 'other', bypass: 'utility' };
    case 'PrepareStmt':
      // PREPARE runs nothing; EXECUTE runs it, with effects this text does not show.
      return { kind: 'other', bypass: 'utility' };
    case 'ExecuteStmt':
    case 'DoStmt':
      f.unknownWrites = true;
      return { kind: 'other', bypass: 'utility' };
    case 'CallStmt':
      if (node.funccall !== undefined) funcCall(node.funccall as Tree, 'read', undefined, f);
      f.unknownWrites = true;
      return { kind: 'other', bypass: 'utility' };
    case 'LockStmt':
      return { kind: 'other', bypass: 'locking-clause' };
  }
  if (INERT_UTILITY.has(type)) return { kind: 'other', bypass: 'utility' };
  if (DDL_NODE.test(type)) {
    ddlWrites(type, node, f);
    return { kind: 'ddl', bypass: 'ddl' };
  }
  // Unknown statement: whatever relation it names may change.
  walk(node, 'write', undefined, f);
  return { kind: 'other', bypass: 'utility' };
}

function copy(node: Tree, f: Findings): Verdict {
  if (node.is_from === true) {
    if (node.relation !== undefined) relation(node.relation as Tree, 'write', undefined, f);
    walk(node.whereClause, 'read', undefined, f);
    return { kind: 'copy-from', bypass: 'write' };
  }
  // COPY t TO / COPY (query) TO: a read, but its output is a stream the cache does not hold.
  if (node.relation !== undefined) relation(node.relation as Tree, 'read', undefined, f);
  walk(node.query, 'read', undefined, f);
  // COPY (UPDATE … RETURNING …) TO writes.
  return { kind: 'copy-to', bypass: f.writes.size > 0 ? 'write' : 'utility' };
}

function transaction(node: Tree): TransactionControl {
  const kind = TRANSACTION[String(node.kind)] ?? 'two-phase';
  const name = typeof node.savepoint_name === 'string' ? node.savepoint_name : '';
  switch (kind) {
    case 'savepoint':
    case 'release':
    case 'rollback-to':
      return { kind, name };
    case 'commit':
    case 'rollback':
      return node.chain === true ? { kind, chain: true } : { kind };
    default:
      return { kind };
  }
}

function explain(node: Tree, f: Findings): Verdict {
  const query = node.query as Tree | undefined;
  const inner = query === undefined ? undefined : newFindings(f.allow);
  if (query !== undefined && inner !== undefined) classify(query, inner);
  const analyze = Array.isArray(node.options) && node.options.some((option) => isAnalyzeOn(option as Tree));
  if (inner !== undefined) {
    for (const [key, ref] of inner.reads) f.reads.set(key, ref);
    for (const name of inner.functions) f.functions.add(name);
    // Only EXPLAIN ANALYZE executes the statement (and its writes).
    if (analyze) {
      for (const [key, ref] of inner.writes) f.writes.set(key, ref);
      f.unknownWrites = inner.unknownWrites;
      f.createsTemp = inner.createsTemp;
    }
  }
  return { kind: 'other', bypass: f.writes.size > 0 || f.unknownWrites ? 'write' : 'utility' };
}

function isAnalyzeOn(option: Tree): boolean {
  const def = option.DefElem as Tree | undefined;
  if (def?.defname !== 'analyze') return false;
  const arg = def.arg as Tree | undefined;
  if (arg === undefined) return true;
  const value = (arg.String as Tree | undefined)?.sval ?? (arg.Boolean as Tree | undefined)?.boolval;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return !['false', 'off', '0', 'no'].includes(value.toLowerCase());
  // An integer argument: ANALYZE 0 is off.
  const ival = (arg.Integer as Tree | undefined)?.ival;
  return ival !== undefined && ival !== 0;
}

function readBypass(f: Findings): BypassReason | undefined {
  if (f.writes.size > 0 || f.unknownWrites) return 'write';
  if (f.locking) return 'locking-clause';
  if (f.tempTable) return 'temp-table';
  if (f.systemCatalog) return 'system-catalog';
  if (f.volatile) return 'volatile-function';
  if (f.reads.size === 0) return 'no-relation';
  // Last: the wrapper may lift this one (pg_proc says immutable, or allow-listed).
  if (f.unknownFunctions.size > 0) return 'unknown-function';
  return undefined;
}

function freezeAnalysis(verdict: Verdict, f: Findings): StatementAnalysis {
  const bypass = verdict.kind === 'select' ? readBypass(f) : (verdict.bypass ?? readBypass(f));
  return Object.freeze({
    kind: verdict.kind,
    reads: Object.freeze([...f.reads.values()]),
    writes: Object.freeze([...f.writes.values()]),
    functions: Object.freeze([...f.functions]),
    unknownFunctions: Object.freeze([...f.unknownFunctions]),
    transaction: verdict.transaction === undefined ? undefined : Object.freeze(verdict.transaction),
    changesSearchPath: f.changesSearchPath,
    createsTemp: f.createsTemp,
    unknownWrites: f.unknownWrites,
    bypass,
  });
}
