/**
 * Whether a read may use the cache, and with which key, tags and TTL: the
 * analyzer's verdict, completed with what only the connection and the catalog
 * know (where names resolve, views' base tables, function volatility,
 * excluded tables, the transaction's own writes).
 */
import { resolveTtl } from '../core/duration.js';
import { type InternalGetOrSetOptions, STORE_IN_BACKGROUND } from '../core/store-in-background.js';
import type { GetOrSetOptions, Ttl } from '../core/types.js';
import type { BypassReason, SqlAnalysis } from './analyzer/sql-analysis.js';
import type { FactValidity, LookupConnection, SqlCatalog } from './catalog.js';
import type { RelationInfo } from './catalog-queries.js';
import { keyHead, keyOf } from './query-key.js';
import type { SessionState } from './session-state.js';
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
  /** The `getOrSet` options of this read, built once per statement and session. */
  readonly options: GetOrSetOptions;
}

/**
 * `getOrSet` options of a read: no grace, no early refresh, no hard timeout (a
 * query result is never refreshed in the background on a connection that may
 * have moved on), and the store off the caller's path.
 */
function fillOptions(tags: readonly string[], ttl: Ttl | undefined, lock: boolean): GetOrSetOptions {
  const common: InternalGetOrSetOptions = {
    tags,
    lock,
    grace: false,
    beta: 0,
    timeout: NO_HARD_TIMEOUT,
    [STORE_IN_BACKGROUND]: true,
  };
  return Object.freeze(ttl === undefined ? common : { ttl, ...common });
}

const NO_HARD_TIMEOUT = Object.freeze({ hard: null });

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

/**
 * What planning found for one statement under one session, before its
 * parameters: the verdict, and for a cacheable read the key head, tags and
 * TTL. It depends only on the text, the session and catalog facts, so it is
 * kept (`ReadShapes`) as long as those facts are trusted.
 */
interface ReadShape {
  /** A reason to bypass, found before the transaction's own writes are considered. */
  readonly verdict: SqlBypassReason | undefined;
  readonly touched: readonly RelationInfo[];
  readonly head: string;
  readonly tags: readonly string[];
  readonly ttl: Ttl | undefined;
  readonly options: GetOrSetOptions;
  /** When the catalog facts behind it expire (on the catalog's clock), and the catalog epoch they are from. */
  readonly untilAt: number;
  readonly epoch: number;
}

/**
 * Read shapes by statement analysis and session (both kept by identity: the
 * analyzer returns the same analysis for a text, a connection the same session
 * until it changes), so a repeated read plans with two WeakMap lookups.
 */
export class ReadShapes {
  readonly #byAnalysis = new WeakMap<SqlAnalysis, WeakMap<SessionState, ReadShape>>();

  get(analysis: SqlAnalysis, session: SessionState, catalog: SqlCatalog): ReadShape | undefined {
    const shape = this.#byAnalysis.get(analysis)?.get(session);
    if (shape === undefined) return undefined;
    return shape.epoch === catalog.epoch && catalog.now() < shape.untilAt ? shape : undefined;
  }

  set(context: ReadContext, shape: ReadShape): void {
    let bySession = this.#byAnalysis.get(context.analysis);
    if (bySession === undefined) {
      bySession = new WeakMap();
      this.#byAnalysis.set(context.analysis, bySession);
    }
    bySession.set(context.session, shape);
  }
}

/**
 * The plan of a repeated read whose shape `shapes` knows under this session
 * (the hot path, synchronous, no `ReadContext` built); `undefined` when the
 * shape must be computed by `planRead`. Only for calls without per-query
 * options, which are planned afresh every time.
 */
export function planKnownRead(
  shapes: ReadShapes,
  analysis: SqlAnalysis,
  session: SessionState,
  catalog: SqlCatalog,
  transaction: TransactionState | undefined,
  values: readonly unknown[] | undefined,
): ReadPlan | undefined {
  const blocked = transaction?.block();
  if (blocked !== undefined) return bypass(blocked);
  const known = shapes.get(analysis, session, catalog);
  return known === undefined ? undefined : finishPlan(transaction, values, known);
}

/**
 * Plan one read (its analyzer verdict already allowed it) whose shape is not
 * known yet: look up what the catalog says, then remember the shape in
 * `shapes` unless the call has per-query options (`context.query`).
 */
export async function planRead(context: ReadContext, shapes?: ReadShapes): Promise<ReadPlan> {
  const { transaction, values } = context;
  const blocked = transaction?.block();
  if (blocked !== undefined) return bypass(blocked);
  const shape = await shapeRead(context);
  if (context.query === undefined) shapes?.set(context, shape);
  return finishPlan(transaction, values, shape);
}

/** The plan of one call from its statement's shape: the transaction's own writes, then the key. */
function finishPlan(
  transaction: TransactionState | undefined,
  values: readonly unknown[] | undefined,
  shape: ReadShape,
): ReadPlan {
  if (shape.verdict !== undefined) return bypass(shape.verdict);
  if (transaction?.active === true && shape.touched.some((relation) => transaction.hasWritten(relation))) {
    return bypass('in-transaction-write');
  }
  if (shape.touched.length > MAX_TABLES) return bypass('too-many-tables');
  let key: string;
  try {
    key = keyOf(shape.head, values);
  } catch {
    return bypass('unkeyable-parameters');
  }
  return { kind: 'cache', key, tags: shape.tags, ttl: shape.ttl, options: shape.options };
}

async function shapeRead(context: ReadContext): Promise<ReadShape> {
  const { analysis, catalog, connection, session } = context;
  const validity: FactValidity = { untilAt: Number.POSITIVE_INFINITY };
  const epoch = catalog.epoch;
  const shape = (verdict: SqlBypassReason | undefined, touched: readonly RelationInfo[] = []) => ({
    verdict,
    touched,
    head: '',
    tags: [],
    ttl: undefined,
    options: {},
    untilAt: validity.untilAt,
    epoch,
  });
  if (analysis.reads.some((ref) => ref.schema === 'pg_temp')) return shape('temp-table');
  const resolved = await catalog.resolve(connection, session.schemas, analysis.reads, validity);
  if (resolved.some((relation) => relation === undefined)) return shape('unknown-relation');
  const relations = resolved as RelationInfo[];
  const touched = await catalog.closure(connection, relations, 'read', validity);
  const forced = context.query?.force === true || analysis.hint?.force === true;
  const problem = touchedProblem(touched) ?? (await functionProblem(context, touched, forced, validity));
  if (problem !== undefined) return shape(problem);
  if (touched.some((relation) => rule(context.options, relation)?.exclude === true))
    return shape('excluded-table');
  const head = keyHead({
    identity: context.identity,
    session: session.fingerprint,
    relations: relations.map((relation) => `${relation.schema}.${relation.name}`),
    text: context.text,
  });
  const tags = Object.freeze([
    databaseTag(context.identity),
    ...touched.map((r) => tableTag(context.identity, r.schema, r.name)),
  ]);
  const ttl = ttlOf(context, touched);
  const options = fillOptions(tags, ttl, context.options.lock);
  return { ...shape(undefined, touched), head, tags, ttl, options };
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
  validity: FactValidity,
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
  const immutable = await context.catalog.immutable(
    context.connection,
    context.session.schemas,
    [...unknown],
    validity,
  );
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
