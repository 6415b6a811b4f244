/**
 * The core of `cachedPool` / `cachedClient`: one query on one connection —
 * analyze it, decide whether the cache may answer it, answer it from the
 * cache or run it, and follow what it did to the transaction so that writes
 * are invalidated after COMMIT. The pool and client wrappers only translate
 * node-postgres's calling conventions into this.
 */
import type { CustomTypesConfig, QueryResult } from 'pg';
import { spoilDependencies } from '../core/dependency-scope.js';
import type { Cache } from '../core/types.js';
import { isSqlParserLoaded, loadSqlParser } from './analyzer/load-sql-parser.js';
import type { SqlAnalysis } from './analyzer/sql-analysis.js';
import { SqlAnalyzer } from './analyzer/sql-analyzer.js';
import { isTimeDependentValue } from './analyzer/time-dependent-value.js';
import { SqlCatalog } from './catalog.js';
import { type ConnectionState, connectionState } from './connection-state.js';
import { ConnectionWaits } from './connection-waits.js';
import { fillRead } from './fill-read.js';
import type { PgClientLike } from './pg-like.js';
import type { QueryCall } from './query-call.js';
import { analyzerVerdict, planKnownRead, planRead, type ReadPlan, ReadShapes } from './read-plan.js';
import { encodeResult, RAW_TYPES } from './result-codec.js';
import { discoverIdentity, readSession, type SessionState } from './session-state.js';
import type { SqlBypassReason } from './sql-bypass-reason.js';
import type { ResolvedSqlOptions } from './sql-options.js';
import { SqlCounters } from './sql-stats.js';
import type { DatabaseIdentity } from './table-tags.js';
import { TrackedStatements } from './tracked-statements.js';
import { typesOf } from './types-of.js';

/** What one wrapper (one pool, or one client) shares between its queries. */
export class SqlEngine {
  readonly counters: SqlCounters;
  readonly options: ResolvedSqlOptions;
  readonly catalog: SqlCatalog;
  /** Shared runs of `pool.query` waiting for a connection (see ConnectionWaits). */
  readonly waits = new ConnectionWaits();
  readonly #shapes = new ReadShapes();
  readonly #cache: Cache;
  readonly #analyzer: SqlAnalyzer;
  readonly #tracked: TrackedStatements;
  #identity: DatabaseIdentity | undefined;
  #identityPending: Promise<DatabaseIdentity> | undefined;
  /**
   * The session of a pool connection nobody changed (search_path and settings
   * as configured): what `pool.query` hits are keyed by, without a connection.
   */
  poolSession: SessionState | undefined;
  /** The type parsers of the pool's connections, for `pool.query` hits. */
  poolTypes: CustomTypesConfig = typesOf(undefined);

  constructor(cache: Cache, options: ResolvedSqlOptions) {
    this.#cache = cache;
    this.options = options;
    this.counters = new SqlCounters(options.maxFingerprints);
    this.catalog = new SqlCatalog(options.catalogTtlMs, options.clock);
    const analyzerOptions = { allowFunctions: options.allowFunctions };
    this.#analyzer = new SqlAnalyzer(
      options.maxParsedStatements === undefined
        ? analyzerOptions
        : { ...analyzerOptions, cacheSize: options.maxParsedStatements },
    );
    this.#identity = options.identity;
    this.#tracked = new TrackedStatements(this, cache);
  }

  /** The database identity once known. */
  get identity(): DatabaseIdentity | undefined {
    return this.#identity;
  }

  /** Analyze a text (parse cache by text; the parser loads on first use). */
  async analyze(text: string): Promise<SqlAnalysis> {
    if (!isSqlParserLoaded()) await loadSqlParser();
    return this.#analyzer.analyze(text);
  }

  /** `analyze`, synchronous once the parser is loaded. */
  analyzeSoon(text: string): SqlAnalysis | Promise<SqlAnalysis> {
    return isSqlParserLoaded() ? this.#analyzer.analyze(text) : this.analyze(text);
  }

  /** Analyze a text once the parser is loaded (views' definitions during planning). */
  analyzeLoaded = (text: string): SqlAnalysis => this.#analyzer.analyze(text);

  /** The database identity, discovered on `client` the first time. */
  identityOn(client: PgClientLike): Promise<DatabaseIdentity> {
    if (this.#identity !== undefined) return Promise.resolve(this.#identity);
    this.#identityPending ??= discoverIdentity(client).then(
      (identity) => {
        this.#identity = identity;
        return identity;
      },
      (error: unknown) => {
        this.#identityPending = undefined;
        throw error;
      },
    );
    return this.#identityPending;
  }

  /** The connection's session, read again when a statement may have changed it. */
  async sessionOf(client: PgClientLike, state: ConnectionState): Promise<SessionState> {
    state.session ??= await readSession(client);
    return state.session;
  }

  /** The verdict before any catalog lookup: `undefined` when the query is a read worth planning. */
  verdict(analysis: SqlAnalysis, call: QueryCall): SqlBypassReason | undefined {
    if (call.unusual !== undefined) return call.unusual;
    const reason = analyzerVerdict(analysis, call.larder);
    if (reason !== undefined) return reason;
    const forced = call.larder?.force === true || analysis.hint?.force === true;
    const values = call.values ?? [];
    const timed = values.some(
      (v) => isTimeDependentValue(v) || (Array.isArray(v) && v.some(isTimeDependentValue)),
    );
    return timed && !forced ? 'volatile-function' : undefined;
  }

  /**
   * One query on a connection the caller holds (a checked-out client, or a
   * `pg.Client`). `configuring`: sent by a pool `connect` handler (see ConnectionState).
   */
  run(client: PgClientLike, call: QueryCall, configuring = false): Promise<QueryResult> {
    const state = connectionState(client);
    return state.exclusive(() => this.#runHeld(client, state, call, configuring));
  }

  async #runHeld(
    client: PgClientLike,
    state: ConnectionState,
    call: QueryCall,
    configuring: boolean,
  ): Promise<QueryResult> {
    if (call.text === undefined) {
      spoilDependencies();
      return this.#tracked.passThrough(client, call);
    }
    const analysis = await this.analyzeSoon(call.text);
    let reason = this.verdict(analysis, call);
    if (reason === undefined) {
      const plan = await this.#planHeld(client, state, analysis, call);
      if (plan.kind === 'cache') {
        return fillRead({
          cache: this.#cache,
          counters: this.counters,
          analysis,
          plan,
          rowMode: call.rowMode,
          types: call.types ?? typesOf(client),
          run: async () => encodeResult(await this.runRaw(client, state, analysis, call)),
          fallback: () => this.#tracked.run(client, state, analysis, call, configuring),
          waits: this.waits,
        });
      }
      reason = plan.reason;
    }
    this.counters.query(analysis.fingerprint, 'bypass', reason, analysis.parseMs);
    // Not cached, so nothing records what it read (or wrote): a cached computation around it is not stored.
    spoilDependencies();
    return this.#tracked.run(client, state, analysis, call, configuring);
  }

  async #planHeld(
    client: PgClientLike,
    state: ConnectionState,
    analysis: SqlAnalysis,
    call: QueryCall,
  ): Promise<ReadPlan> {
    const blocked = state.transaction.block();
    if (blocked !== undefined) return { kind: 'bypass', reason: blocked };
    try {
      const identity = await this.identityOn(client);
      const session = await this.sessionOf(client, state);
      return await this.plan(analysis, call, session, identity, state, async () => client);
    } catch {
      // A lookup that failed (the connection broke): run the query as is; its own error will tell.
      return { kind: 'bypass', reason: 'lookup-failed' };
    }
  }

  /**
   * Plan a read under `session`; `state` is the connection's, or `undefined`
   * for pool.query. Synchronous when the statement was planned under this
   * session before and the catalog facts behind that are still trusted.
   */
  plan(
    analysis: SqlAnalysis,
    call: QueryCall,
    session: SessionState,
    identity: DatabaseIdentity,
    state: ConnectionState | undefined,
    connection: () => Promise<PgClientLike>,
  ): ReadPlan | Promise<ReadPlan> {
    if (call.larder === undefined) {
      const known = planKnownRead(
        this.#shapes,
        analysis,
        session,
        this.catalog,
        state?.transaction,
        call.values,
      );
      if (known !== undefined) return known;
    }
    return planRead(
      {
        analysis,
        text: call.text ?? '',
        values: call.values,
        query: call.larder,
        session,
        identity,
        transaction: state?.transaction,
        catalog: this.catalog,
        connection,
        options: this.options,
        analyze: this.analyzeLoaded,
      },
      this.#shapes,
    );
  }

  /** The cache this wrapper reads and fills. */
  get cache(): Cache {
    return this.#cache;
  }

  /**
   * Run a planned read on a held connection, keeping the text Postgres sent
   * (`RAW_TYPES`, rows as arrays) for the cache, and follow what it did to the
   * transaction.
   */
  async runRaw(
    client: PgClientLike,
    state: ConnectionState,
    analysis: SqlAnalysis,
    call: QueryCall,
  ): Promise<QueryResult<unknown[]>> {
    let raw: QueryResult;
    try {
      raw = await client.query({ ...call.config, types: RAW_TYPES, rowMode: 'array' } as never);
    } catch (error) {
      await this.#tracked.settleRead(client, state, analysis, error);
      throw error;
    }
    const settling = this.#tracked.settleRead(client, state, analysis);
    if (settling !== undefined) await settling;
    return raw as QueryResult<unknown[]>;
  }

  /** The statements this wrapper runs as they are (writes, transaction control, bypassed reads). */
  get tracked(): TrackedStatements {
    return this.#tracked;
  }
}
