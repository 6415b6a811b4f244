/**
 * Whether a read may use the cache, and with which key, tags and TTL: the
 * analyzer's verdict, completed with what only the connection and the catalog
 * know (where names resolve, views' base tables, function volatility,
 * excluded tables, the transaction's own writes).
 */
import { resolveTtl } from '../core/duration.js';
import type { Ttl } from '../core/types.js';
import type { LookupConnection, SqlCatalog } from './catalog.js';
import type { RelationInfo } from './catalog-queries.js';
import { queryKey } from './query-key.js';
import type { SessionState } from './session-state.js';
import type { BypassReason, SqlAnalysis } from './sql-analysis.js';
import type { SqlBypassReason } from './sql-bypass-reason.js';
import type { QueryCacheOptions, ResolvedSqlOptions } from './sql-options.js';
import { type DatabaseIdentity, databaseTag, tableTag } from './table-tags.js';
import type { TransactionState } from './transaction-state.js';

/** A read that may use the cache. */
export interface CachedRead {
  readonly kind: 'cache';
  readonly key: string;
  readonly tags: readonly string[];
  /** ms, `null` for forever, `undefined` for the cache's default. */
  readonly ttl: Ttl | undefined;
}

/** The plan of a read: cache it, or run it as is and why. */
export type ReadPlan = CachedRead | { readonly kind: 'bypass'; readonly reason: SqlBypassReason };

/** What planning a read needs. */
export interface ReadContext {
  readonly analysis: SqlAnalysis;
  readonly text: string;
  readonly values: readonly unknown[] | undefined;
  readonly query: QueryCacheOptions | undefined;
  readonly session: SessionState;
  readonly identity: DatabaseIdentity;
  /** The connection's transaction; `undefined` for `pool.query`, which never runs in one. */
  readonly transaction: TransactionState | undefined;
  readonly catalog: SqlCatalog;
  readonly connection: LookupConnection;
  readonly options: ResolvedSqlOptions;
  /** Analyze a view's definition (cached by text). */
  readonly analyze: (text: string) => SqlAnalysis;
}

/** Reasons a `larder:cache` hint (or `larder: { force: true }`) overrides: the user vouches for the functions. */
const FORCEABLE: ReadonlySet<BypassReason> = new Set([
  'volatile-function',
  'unknown-function',
  'no-relation',
]);
const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema', 'pg_toast']);
/** The tag count limit of core (32) minus the database tag. */
const MAX_TABLES = 31;

const bypass = (reason: SqlBypassReason): ReadPlan => ({ kind: 'bypass', reason });

/** The analyzer's verdict on the text: proceed (possibly with functions to check) or a reason to bypass. */
export function analyzerVerdict(
  analysis: SqlAnalysis,
  query: QueryCacheOptions | undefined,
): SqlBypassReason | undefined {
  if (query?.skip === true || analysis.hint?.skip === true) return 'hint-skip';
  const reason = analysis.bypass;
  if (reason === undefined || reason === 'unknown-function') return undefined;
  const forced = query?.force === true || analysis.hint?.force === true;
  return forced && FORCEABLE.has(reason) ? undefined : reason;
}

/** Plan one read (its analyzer verdict already allowed it). */
export async function planRead(context: ReadContext): Promise<ReadPlan> {
  const { analysis, catalog, connection, session, transaction } = context;
  const blocked = transaction?.block();
  if (blocked !== undefined) return bypass(blocked);
  if (analysis.reads.some((ref) => ref.schema === 'pg_temp')) return bypass('temp-table');
  const resolved = await catalog.resolve(connection, session.schemas, analysis.reads);
  if (resolved.some((relation) => relation === undefined)) return bypass('unknown-relation');
  const relations = resolved as RelationInfo[];
  const touched = await catalog.closure(connection, relations, 'read');
  const forced = context.query?.force === true || analysis.hint?.force === true;
  const problem = touchedProblem(touched) ?? (await functionProblem(context, touched, forced));
  if (problem !== undefined) return bypass(problem);
  if (touched.some((relation) => rule(context.options, relation)?.exclude === true))
    return bypass('excluded-table');
  if (transaction?.active === true && touched.some((relation) => transaction.hasWritten(relation))) {
    return bypass('in-transaction-write');
  }
  if (touched.length > MAX_TABLES) return bypass('too-many-tables');
  let key: string;
  try {
    key = queryKey({
      identity: context.identity,
      session: session.fingerprint,
      relations: relations.map((relation) => `${relation.schema}.${relation.name}`),
      text: context.text,
      values: context.values,
    });
  } catch {
    return bypass('unkeyable-parameters');
  }
  const tags = [
    databaseTag(context.identity),
    ...touched.map((r) => tableTag(context.identity, r.schema, r.name)),
  ];
  return { kind: 'cache', key, tags, ttl: ttlOf(context, touched) };
}

function touchedProblem(touched: readonly RelationInfo[]): SqlBypassReason | undefined {
  for (const relation of touched) {
    if (relation.temp) return 'temp-table';
    if (SYSTEM_SCHEMAS.has(relation.schema) || relation.schema.startsWith('pg_temp')) return 'system-catalog';
    if (relation.kind === 'f') return 'foreign-table';
    if (relation.kind === 'S') return 'sequence';
    if (relation.rowSecurity) return 'row-security';
  }
  return undefined;
}

/** Functions the query or its views call that are neither known safe, allow-listed nor IMMUTABLE. */
async function functionProblem(
  context: ReadContext,
  touched: readonly RelationInfo[],
  forced: boolean,
): Promise<SqlBypassReason | undefined> {
  const unknown = new Set(context.analysis.statements.flatMap((statement) => statement.unknownFunctions));
  for (const relation of touched) {
    if (relation.viewdef === undefined) continue;
    const view = context.analyze(relation.viewdef);
    const reason = view.bypass;
    if (reason !== undefined && reason !== 'unknown-function' && !(forced && FORCEABLE.has(reason))) {
      return reason;
    }
    for (const statement of view.statements) for (const name of statement.unknownFunctions) unknown.add(name);
  }
  if (unknown.size === 0 || forced) return undefined;
  const immutable = await context.catalog.immutable(context.connection, context.session.schemas, [
    ...unknown,
  ]);
  return immutable ? undefined : 'unknown-function';
}

function rule(options: ResolvedSqlOptions, relation: RelationInfo) {
  return options.tables.get(`${relation.schema}.${relation.name}`) ?? options.tables.get(relation.name);
}

/** Per query, then the hint, else the shortest of the tables' TTLs and the wrapper's. */
function ttlOf(context: ReadContext, touched: readonly RelationInfo[]): Ttl | undefined {
  if (context.query?.ttl !== undefined) return context.query.ttl;
  const hinted = context.analysis.hint?.ttl;
  if (hinted !== undefined) {
    try {
      return resolveTtl(hinted as Ttl, null, 'larder:ttl hint');
    } catch {
      // A malformed hint is ignored rather than failing the user's query.
    }
  }
  let ttlMs = context.options.ttlMs;
  for (const relation of touched) {
    const tableMs = rule(context.options, relation)?.ttlMs;
    if (tableMs === undefined || tableMs === null) continue;
    ttlMs = ttlMs === undefined || ttlMs === null ? tableMs : Math.min(ttlMs, tableMs);
  }
  return ttlMs;
}
