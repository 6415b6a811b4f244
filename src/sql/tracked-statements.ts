/**
 * Statements that run against the database as they are — writes, transaction
 * control, SET, bypassed reads — and what the wrapper learns from them: the
 * tables they write (resolved before they run, since a DROP or RENAME changes
 * names), the transaction's new state, and the invalidations due now.
 */
import type { QueryResult, Submittable } from 'pg';
import { isStoreFailure } from '../core/errors.js';
import type { Cache } from '../core/types.js';
import type { SqlAnalysis } from './analyzer/sql-analysis.js';
import type { ConnectionState } from './connection-state.js';
import { connectionState } from './connection-state.js';
import { invalidationPendingError, type Unstored } from './invalidation-pending-error.js';
import { isServerError, type PgClientLike } from './pg-like.js';
import type { QueryCall } from './query-call.js';
import type { SqlEngine } from './sql-engine.js';
import { ALL_TABLES_LABEL } from './sql-stats.js';
import { type Settlement, type StatementOutcome, settle } from './statement-transition.js';
import type { TableName } from './table-name.js';
import { databaseTag, tableTag } from './table-tags.js';

/** "Every table of the database": for statements whose writes cannot be named (DO, CALL, TRUNCATE … CASCADE). */
export const ALL_TABLES: TableName = Object.freeze({ schema: '', name: '' });

const SNAPSHOT_LEVEL = /isolation\s+level\s+(?:repeatable\s+read|serializable)/i;
const ANY_LEVEL = /isolation\s+level/i;
const TWO_PHASE = /^\s*(prepare\s+transaction|commit\s+prepared|rollback\s+prepared)\s+'((?:[^']|'')*)'/i;

/** After a statement with an unknown outcome, when its tables are invalidated a second time. */
const UNKNOWN_OUTCOME_REPEAT_MS = 2_000;

/** Most prepared (two-phase) transactions remembered between PREPARE and COMMIT PREPARED. */
const MAX_PREPARED = 1000;

/** Runs statements as they are, and keeps the books of what they wrote. */
export class TrackedStatements {
  readonly #engine: SqlEngine;
  readonly #cache: Cache;
  /** PREPARE TRANSACTION 'gid' → the tables to invalidate at COMMIT PREPARED 'gid'. */
  readonly #prepared = new Map<string, readonly TableName[]>();
  /** Under `onInvalidationFailure: 'wait'`: calls that succeeded but whose invalidation is not stored (see `confirm`). */
  readonly #unstored = new WeakMap<QueryCall, Unstored>();

  constructor(engine: SqlEngine, cache: Cache) {
    this.#engine = engine;
    this.#cache = cache;
  }

  /** Run a statement as it is on a held connection and apply what it did. */
  async run(
    client: PgClientLike,
    state: ConnectionState,
    analysis: SqlAnalysis,
    call: QueryCall,
    configuring = false,
  ): Promise<QueryResult> {
    const writes = await this.#writesOf(client, state, analysis);
    const naive = this.#engine.options.invalidation === 'before-write';
    // The naive version (tests only): invalidate first, then write, never wait for COMMIT.
    if (naive) await this.invalidate(writes, 'statement');
    const snapshotBegin = await this.#snapshotBegin(client, state, analysis, call.text ?? '');
    let result: QueryResult | QueryResult[] | undefined;
    let failure: { readonly error: unknown } | undefined;
    let outcome: StatementOutcome = 'ok';
    try {
      result = (await client.query(call.config)) as QueryResult | QueryResult[];
    } catch (error) {
      failure = { error };
      outcome = isServerError(error) ? 'server-error' : 'unknown';
    }
    const statements = analysis.statements;
    const settlement = settle(state.transaction, {
      statements,
      writes: naive ? [] : writes,
      outcome,
      command: result === undefined || Array.isArray(result) ? undefined : result.command,
      status: client.getTransactionStatus?.(),
      snapshotBegin,
      setsSnapshot: statements.some((s) => s.kind === 'set') && SNAPSHOT_LEVEL.test(call.text ?? ''),
      opaque: statements.some((s) => s.unknownWrites || s.unknownFunctions.length > 0),
    });
    const unstored = await this.#apply(
      state,
      analysis,
      settlement,
      outcome === 'ok' ? call.text : undefined,
      configuring,
    );
    if (
      unstored !== undefined &&
      failure === undefined &&
      this.#engine.options.onInvalidationFailure === 'wait'
    )
      this.#unstored.set(call, unstored);
    if (outcome === 'unknown' && settlement.invalidate.length > 0) {
      // The client gave up (a timeout, a broken socket) but the server may still be running the
      // statement, and commit after the invalidation above; readers in between would store the old
      // rows. So invalidate once more when a commit still in flight has surely landed.
      const tables = settlement.invalidate;
      setTimeout(() => void this.invalidate(tables, settlement.source), UNKNOWN_OUTCOME_REPEAT_MS).unref();
    }
    if (failure !== undefined) throw failure.error;
    return result as QueryResult;
  }

  /** After a cached read ran on a held connection: a failure aborts the transaction, the status corrects drift. */
  settleRead(
    client: PgClientLike,
    state: ConnectionState,
    analysis: SqlAnalysis,
    error?: unknown,
  ): Promise<unknown> | undefined {
    const settlement = settle(state.transaction, {
      statements: analysis.statements,
      writes: [],
      outcome: error === undefined ? 'ok' : isServerError(error) ? 'server-error' : 'unknown',
      command: undefined,
      status: client.getTransactionStatus?.(),
      snapshotBegin: false,
      setsSnapshot: false,
      opaque: false,
    });
    // Synchronous when there is nothing to invalidate (a read's usual case): one promise fewer per read.
    // A read is never failed for an unstored invalidation: that is for the statement that committed.
    return settlement.invalidate.length === 0
      ? undefined
      : this.invalidate(settlement.invalidate, settlement.source);
  }

  /** A config without text (a named statement run again): unknown effects, so the session and transaction are suspect. */
  async passThrough(client: PgClientLike, call: QueryCall): Promise<QueryResult> {
    const state = connectionState(client);
    this.#engine.counters.query('<no text>', 'bypass', 'parse-error', 0);
    state.session = undefined;
    state.tainted = true;
    state.transaction.markOpaque();
    try {
      return await client.query(call.config);
    } finally {
      await this.settleRead(client, state, { statements: [] } as unknown as SqlAnalysis);
    }
  }

  /**
   * A Submittable (cursor, stream) goes to the connection untouched, in order
   * behind the wrapper's earlier queries. A write through one is queued in the
   * transaction, or invalidated when the submittable reports its end.
   */
  submit<T extends Submittable>(client: PgClientLike, submittable: T): T {
    const state = connectionState(client);
    const send = (): void => void (client.query as unknown as (s: T) => T).call(client, submittable);
    if (state.busy) void state.exclusive(async () => send());
    else send();
    const text = (submittable as { text?: unknown }).text;
    if (typeof text === 'string')
      void this.#trackSubmitted(client, state, submittable, text).catch(() => undefined);
    return submittable;
  }

  async #trackSubmitted(
    client: PgClientLike,
    state: ConnectionState,
    submittable: Submittable,
    text: string,
  ) {
    const analysis = await this.#engine.analyze(text);
    this.#engine.counters.query(analysis.fingerprint, 'bypass', 'streaming', analysis.parseMs);
    if (analysis.writes.length === 0 && !analysis.statements.some((s) => s.unknownWrites)) return;
    const tables = await this.#writesOf(client, state, analysis).catch(() => [ALL_TABLES]);
    if (state.transaction.queue(tables)) return;
    const emitter = submittable as { once?: (event: string, listener: () => void) => unknown };
    if (typeof emitter.once !== 'function') return this.invalidate(tables, 'statement');
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      void this.invalidate(tables, 'statement');
    };
    // Readable streams end, writable ones (COPY FROM STDIN) finish; either may close or fail.
    for (const event of ['end', 'finish', 'close', 'error']) emitter.once.call(submittable, event, finish);
  }

  /**
   * The answer of `call` (run by `run`) for its caller. Under
   * `onInvalidationFailure: 'wait'`, when the statement succeeded but its
   * invalidation was journaled, it waits up to `invalidationWait` for the
   * cache's replay to store it, and rejects with `E_INVALIDATION_PENDING` if
   * it does not. Called once the connection is free (pool.query has released
   * it), so a down store holds the caller, not a connection.
   */
  confirm(call: QueryCall, answer: Promise<QueryResult>): Promise<QueryResult> {
    if (this.#engine.options.onInvalidationFailure === 'retry') return answer;
    return answer.then(async (result) => {
      const unstored = this.#unstored.get(call);
      if (unstored === undefined) return result;
      this.#unstored.delete(call);
      if (
        unstored.journaled &&
        (await this.#cache.flushInvalidations(this.#engine.options.invalidationWaitMs))
      )
        return result;
      throw invalidationPendingError(unstored, this.#engine.options.invalidationWaitMs);
    });
  }

  /**
   * Bump the tags of `tables`. Never rejects, so never fails the statement by
   * itself: resolves what did not reach the store (the cache replays a journaled
   * bump in the background), or `undefined` when it was stored or there was nothing to do.
   */
  async invalidate(
    tables: readonly TableName[],
    source: Settlement['source'],
  ): Promise<Unstored | undefined> {
    const identity = this.#engine.identity;
    // Without an identity this process has never cached anything, and it could not name the tags:
    // it only happens when the very first statement's lookups failed, and then CDC remains.
    if (tables.length === 0 || identity === undefined) return undefined;
    const tags = new Set<string>();
    const labels: string[] = [];
    for (const table of tables) {
      const all = table.schema === '' && table.name === '';
      tags.add(all ? databaseTag(identity) : tableTag(identity, table.schema, table.name));
      labels.push(all ? ALL_TABLES_LABEL : `${table.schema}.${table.name}`);
    }
    this.#engine.counters.invalidation(labels, source);
    try {
      const result = await this.#cache.invalidateTags(tags);
      return result === 'stored' ? undefined : { labels, journaled: true, cause: undefined };
    } catch (error) {
      // Under `onError: 'throw'` a store failure is journaled first, then rethrown.
      return { labels, journaled: isStoreFailure(error), cause: error };
    }
  }

  async #apply(
    state: ConnectionState,
    analysis: SqlAnalysis,
    settlement: Settlement,
    succeededText: string | undefined,
    configuring: boolean,
  ): Promise<Unstored | undefined> {
    if (settlement.sessionChanged) {
      state.session = undefined;
      if (!configuring) state.tainted = true;
    }
    if (analysis.statements.some((s) => s.kind === 'ddl')) this.#engine.catalog.forget();
    const invalidate = [...settlement.invalidate];
    const twoPhase = succeededText === undefined ? null : TWO_PHASE.exec(succeededText);
    if (twoPhase !== null) {
      const action = (twoPhase[1] as string).toLowerCase().replace(/\s+/g, ' ');
      const gid = (twoPhase[2] as string).replaceAll("''", "'");
      if (action === 'prepare transaction' && settlement.prepared !== undefined) {
        if (this.#prepared.size >= MAX_PREPARED)
          this.#prepared.delete(this.#prepared.keys().next().value as string);
        this.#prepared.set(gid, settlement.prepared);
      } else if (action === 'commit prepared') {
        invalidate.push(...(this.#prepared.get(gid) ?? []));
        this.#prepared.delete(gid);
      } else {
        this.#prepared.delete(gid);
      }
    }
    return this.invalidate(invalidate, settlement.source);
  }

  /** The tables a text writes, resolved and expanded before it runs; the whole database when that fails. */
  async #writesOf(client: PgClientLike, state: ConnectionState, analysis: SqlAnalysis): Promise<TableName[]> {
    const unknown = analysis.statements.some((s) => s.unknownWrites);
    const refs = analysis.writes.filter((ref) => ref.schema !== 'pg_temp');
    if (!unknown && refs.length === 0) return [];
    try {
      await this.#engine.identityOn(client);
      // In a failed transaction the statement will be refused; lookups would be too.
      if (state.transaction.block() === 'aborted-transaction') return [];
      const tables: TableName[] = unknown ? [ALL_TABLES] : [];
      if (refs.length === 0) return tables;
      const session = await this.#engine.sessionOf(client, state);
      const lookup = async () => client;
      const resolved = await this.#engine.catalog.resolve(lookup, session.schemas, refs);
      refs.forEach((ref, i) => {
        // A name that resolves to nothing yet (CREATE TABLE) has no cached readers; a qualified one is kept anyway.
        if (resolved[i] === undefined && ref.schema !== undefined)
          tables.push({ schema: ref.schema, name: ref.name });
      });
      const known = resolved.filter((relation) => relation !== undefined && !relation.temp);
      for (const relation of await this.#engine.catalog.closure(lookup, known as never, 'write')) {
        if (!relation.temp) tables.push({ schema: relation.schema, name: relation.name });
      }
      return tables;
    } catch {
      return [ALL_TABLES];
    }
  }

  /** Whether a BEGIN in this text opens a REPEATABLE READ / SERIALIZABLE transaction. */
  async #snapshotBegin(client: PgClientLike, state: ConnectionState, analysis: SqlAnalysis, text: string) {
    if (!analysis.statements.some((s) => s.transaction?.kind === 'begin')) return false;
    if (ANY_LEVEL.test(text)) return SNAPSHOT_LEVEL.test(text);
    try {
      return (await this.#engine.sessionOf(client, state)).snapshotDefault;
    } catch {
      return true;
    }
  }
}
