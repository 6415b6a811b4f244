/**
 * `pool.query()` through the wrapper. A read the wrapper can plan under the
 * pool's default session goes to the cache without a connection: one round
 * trip reads the entry and its tags' generations, and only a miss checks out a
 * connection — inside the shared run of its key, for the query alone, released
 * before the result is stored. Anything else checks a connection out, runs on
 * it like a held client would, and releases it (with the error, as pg-pool
 * does, when it failed).
 *
 * A shared run waiting for a connection could wait for one held by a caller
 * that joined it (a checked-out client reading the same key): such callers
 * stop waiting for the run when it stalls (see ConnectionWaits).
 */
import type { QueryResult } from 'pg';
import type { SqlAnalysis } from './analyzer/sql-analysis.js';
import { type ConnectionState, connectionState } from './connection-state.js';
import { fillRead, RunElsewhere } from './fill-read.js';
import type { PgPoolClientLike, PgPoolLike } from './pg-like.js';
import type { QueryCall } from './query-call.js';
import type { CachedRead } from './read-plan.js';
import { type CachedResult, encodeResult } from './result-codec.js';
import type { SqlEngine } from './sql-engine.js';
import { typesOf } from './types-of.js';

/** A connection checked out on first need, released once. */
class PoolLease {
  readonly #pool: PgPoolLike;
  #client: Promise<PgPoolClientLike> | undefined;
  #error: Error | undefined;
  #released = false;

  constructor(pool: PgPoolLike) {
    this.#pool = pool;
  }

  /** Whether a connection was asked for. */
  get used(): boolean {
    return this.#client !== undefined;
  }

  client(): Promise<PgPoolClientLike> {
    this.#client ??= this.#pool.connect();
    return this.#client;
  }

  fail(error: unknown): void {
    this.#error ??= error instanceof Error ? error : new Error(String(error));
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#client?.then(
      (client) => client.release(this.#error),
      () => undefined,
    );
  }
}

/**
 * Answer `pool.query(call)`. A wait for an unstored invalidation
 * (`onInvalidationFailure: 'wait'`) starts after the connection went back to the pool.
 */
export function poolQuery(engine: SqlEngine, pool: PgPoolLike, call: QueryCall): Promise<QueryResult> {
  return engine.tracked.confirm(call, queryOnPool(engine, pool, call));
}

async function queryOnPool(engine: SqlEngine, pool: PgPoolLike, call: QueryCall): Promise<QueryResult> {
  const lease = new PoolLease(pool);
  try {
    const answer = await fromCache(engine, lease, call);
    if (answer !== undefined) return answer;
    const client = await lease.client();
    const result = await engine.run(client, call);
    adoptDefaults(engine, client);
    return result;
  } catch (error) {
    lease.fail(error);
    throw error;
  } finally {
    lease.release();
  }
}

/**
 * The answer through the cache under the pool's default session, or
 * `undefined` when the query needs a connection of its own first (not a
 * cacheable read, planning had to look up the catalog, or the connection the
 * run got shows another session).
 */
async function fromCache(
  engine: SqlEngine,
  lease: PoolLease,
  call: QueryCall,
): Promise<QueryResult | undefined> {
  const session = engine.poolSession;
  const identity = engine.identity;
  if (call.text === undefined || session === undefined || identity === undefined) return undefined;
  const pendingAnalysis = engine.analyzeSoon(call.text);
  const analysis = pendingAnalysis instanceof Promise ? await pendingAnalysis : pendingAnalysis;
  if (engine.verdict(analysis, call) !== undefined) return undefined;
  const planned = engine.plan(analysis, call, session, identity, undefined, () => lease.client());
  const plan = planned instanceof Promise ? await planned.catch(() => undefined) : planned;
  // A catalog lookup checked out a connection: the query runs on it, as on any held connection.
  if (plan?.kind !== 'cache' || lease.used) return undefined;
  const read = plan;
  try {
    return await fillRead({
      cache: engine.cache,
      counters: engine.counters,
      analysis,
      plan: read,
      rowMode: call.rowMode,
      types: call.types ?? engine.poolTypes,
      waits: undefined,
      run: () => runOnPoolConnection(engine, lease, analysis, call, read),
      fallback: async () => {
        const client = await lease.client();
        const state = connectionState(client);
        return state.exclusive(() => engine.tracked.run(client, state, analysis, call));
      },
    });
  } catch (error) {
    if (error instanceof RunElsewhere) return undefined;
    throw error;
  }
}

/**
 * The shared run of a `pool.query` miss: a connection for the query alone,
 * given back before the result is encoded and stored.
 */
async function runOnPoolConnection(
  engine: SqlEngine,
  lease: PoolLease,
  analysis: SqlAnalysis,
  call: QueryCall,
  plan: CachedRead,
): Promise<CachedResult> {
  const client = await engine.waits.connect(plan.key, () => lease.client());
  const state = connectionState(client);
  // The key is the pool's default session's: another session's rows must not be stored under it.
  if (!(await showsPoolDefaults(engine, client, state))) throw new RunElsewhere();
  let raw: QueryResult<unknown[]>;
  try {
    // Not busy (showsPoolDefaults): nothing of this wrapper is queued on it to run first.
    raw = await engine.runRaw(client, state, analysis, call);
  } catch (error) {
    lease.fail(error);
    throw error;
  } finally {
    lease.release();
  }
  return encodeResult(raw);
}

/** Whether a checked-out connection runs queries as the pool's default session does. */
async function showsPoolDefaults(
  engine: SqlEngine,
  client: PgPoolClientLike,
  state: ConnectionState,
): Promise<boolean> {
  const defaults = engine.poolSession;
  if (defaults === undefined || state.tainted || state.busy || state.transaction.active) return false;
  const status = client.getTransactionStatus?.();
  if (status === 'T' || status === 'E') return false;
  try {
    // A new connection's session is read once (its first query), as on the held path.
    const session = await engine.sessionOf(client, state);
    return session.fingerprint === defaults.fingerprint && session.schemas.join() === defaults.schemas.join();
  } catch {
    return false;
  }
}

/** The first connection whose session nobody changed gives the defaults that pool.query hits use. */
function adoptDefaults(engine: SqlEngine, client: PgPoolClientLike): void {
  if (engine.poolSession !== undefined) return;
  const state = connectionState(client);
  if (state.session === undefined || state.tainted) return;
  engine.poolSession = state.session;
  engine.poolTypes = typesOf(client);
}
