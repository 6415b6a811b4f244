/**
 * `pool.query()` through the wrapper: a hit is answered without checking out
 * a connection; anything else checks one out, runs on it like a held client
 * would, and releases it (with the error, as pg-pool does, when it failed).
 *
 * A miss checks the cache first and only then waits for a connection, never
 * while it leads a shared run: a caller holding the pool's last connection
 * may join that run, and a run waiting for that connection would wait forever.
 */
import type { QueryResult } from 'pg';
import { connectionState } from './connection-state.js';
import type { PgPoolClientLike, PgPoolLike } from './pg-like.js';
import type { QueryCall } from './query-call.js';
import type { ReadPlan } from './read-plan.js';
import { decodeResult } from './result-codec.js';
import type { SqlEngine } from './sql-engine.js';
import { typesOf } from './types-of.js';

/** A connection checked out on first need, released once. */
class PoolLease {
  readonly #pool: PgPoolLike;
  #client: Promise<PgPoolClientLike> | undefined;
  #error: Error | undefined;

  constructor(pool: PgPoolLike) {
    this.#pool = pool;
  }

  client(): Promise<PgPoolClientLike> {
    this.#client ??= this.#pool.connect();
    return this.#client;
  }

  fail(error: unknown): void {
    this.#error = error instanceof Error ? error : new Error(String(error));
  }

  release(): void {
    this.#client?.then(
      (client) => client.release(this.#error),
      () => undefined,
    );
  }
}

/** Answer `pool.query(call)`. */
export async function poolQuery(engine: SqlEngine, pool: PgPoolLike, call: QueryCall): Promise<QueryResult> {
  const lease = new PoolLease(pool);
  try {
    const hit = await fromCache(engine, lease, call);
    if (hit !== undefined) return hit;
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

/** A hit under the pool's default session, or `undefined` (the query then runs on a connection). */
async function fromCache(
  engine: SqlEngine,
  lease: PoolLease,
  call: QueryCall,
): Promise<QueryResult | undefined> {
  const session = engine.poolSession;
  const identity = engine.identity;
  if (call.text === undefined || session === undefined || identity === undefined) return undefined;
  const analysis = await engine.analyze(call.text);
  if (engine.verdict(analysis, call) !== undefined) return undefined;
  let plan: ReadPlan;
  try {
    plan = await engine.plan(analysis, call, session, identity, undefined, () => lease.client());
  } catch {
    return undefined;
  }
  if (plan.kind !== 'cache') return undefined;
  const cached = await engine.peek(plan);
  if (cached === undefined) return undefined;
  engine.counters.query(analysis.fingerprint, 'hit', undefined, analysis.parseMs);
  return decodeResult(cached, call.rowMode, call.types ?? engine.poolTypes) as QueryResult;
}

/** The first connection whose session nobody changed gives the defaults that pool.query hits use. */
function adoptDefaults(engine: SqlEngine, client: PgPoolClientLike): void {
  if (engine.poolSession !== undefined) return;
  const state = connectionState(client);
  if (state.session === undefined || state.tainted) return;
  engine.poolSession = state.session;
  engine.poolTypes = typesOf(client);
}
