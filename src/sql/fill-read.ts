/**
 * Answer a planned read from the cache, or run it and store it: one
 * `getOrSet`, which reads the entry and the tags' generations in one round
 * trip, before the query runs — so a write committed (and invalidated) while
 * the query runs makes what it stores a miss. The store happens in the
 * background: the caller, and its connection, do not wait for it.
 *
 * Concurrent calls with one key share one run, possibly on another
 * connection; when that run fails, each joined caller runs the query itself
 * (`fallback`) rather than adopt another connection's error (its transaction
 * may have failed, not this one's). A store failure after our own run still
 * returns the rows: the cache never fails a query that succeeded.
 *
 * Inside a cached computation (a dependency scope), the `getOrSet` records
 * this query's tags and the generations read before it ran. Rows the cache
 * did not answer (a fallback, or our own run whose fill failed) have no such
 * record: the computation is spoiled, its value not stored.
 */
import type { CustomTypesConfig, QueryResult } from 'pg';
import { spoilDependencies } from '../core/dependency-scope.js';
import { LarderError } from '../core/errors.js';
import type { Cache } from '../core/types.js';
import type { SqlAnalysis } from './analyzer/sql-analysis.js';
import type { ConnectionWaits } from './connection-waits.js';
import type { CachedRead } from './read-plan.js';
import { type CachedResult, decodeResult } from './result-codec.js';
import type { SqlBypassReason } from './sql-bypass-reason.js';
import type { SqlCounters } from './sql-stats.js';

/**
 * Thrown by a run that cannot answer for the key it was planned under (a pool
 * connection whose session is not the pool's default): the caller answers the
 * query another way, uncounted here.
 */
export class RunElsewhere extends Error {
  constructor() {
    super('the query must run on a connection of its own session');
    this.name = 'RunElsewhere';
  }
}

/** Thrown into a shared run whose leader stopped waiting for it (see ConnectionWaits). */
class Abandoned extends Error {}

/** What one cached read needs. */
export interface FillRequest {
  readonly cache: Cache;
  readonly counters: SqlCounters;
  readonly analysis: SqlAnalysis;
  readonly plan: CachedRead;
  readonly rowMode: string | undefined;
  readonly types: CustomTypesConfig;
  /** Run the query for the cache: the text Postgres sent. */
  readonly run: () => Promise<CachedResult>;
  /** Run the query as it is, for this caller only (a shared run failed, or cannot be waited for). */
  readonly fallback: () => Promise<QueryResult>;
  /** Given when the caller holds a connection: it never waits for a run stuck waiting for one. */
  readonly waits: ConnectionWaits | undefined;
}

/** What this caller's own run gave, if it ran. */
type Own = { readonly value: CachedResult } | { readonly error: unknown };

/** A caller holding a connection stopped waiting for a shared run (see ConnectionWaits). */
const DETOUR: unique symbol = Symbol('detour');

/** Answer a planned read (see the module comment). */
export async function fillRead(request: FillRequest): Promise<QueryResult> {
  const { analysis, counters, plan, waits } = request;
  if (waits?.stalled(plan.key) === true) {
    counters.query(analysis.fingerprint, 'bypass', 'shared-run-waiting', analysis.parseMs);
    spoilDependencies();
    return request.fallback();
  }
  let own: Own | undefined;
  let abandoned = false;
  const factory = async (): Promise<CachedResult> => {
    if (abandoned) throw new Abandoned();
    try {
      const value = await request.run();
      own = { value };
      return value;
    } catch (error) {
      own = { error };
      throw error;
    }
  };
  let cached: CachedResult;
  try {
    const pending = request.cache.getOrSet(plan.key, factory, plan.options);
    const answer = waits === undefined ? await pending : await detourable(pending, waits, plan.key);
    if (answer === DETOUR) {
      // Stuck, and our own run has not started: the run we would wait for waits for a connection, maybe ours.
      if (own === undefined) {
        abandoned = true;
        pending.catch(() => undefined);
        counters.query(analysis.fingerprint, 'bypass', 'shared-run-waiting', analysis.parseMs);
        spoilDependencies();
        return request.fallback();
      }
      cached = await pending;
    } else {
      cached = answer;
    }
  } catch (error) {
    const mine = own as Own | undefined;
    if (mine !== undefined && 'value' in mine) {
      spoilDependencies();
      cached = mine.value;
    } else if (mine !== undefined) {
      if (mine.error instanceof RunElsewhere) throw mine.error;
      counters.query(analysis.fingerprint, 'miss', undefined, analysis.parseMs);
      throw mine.error;
    } else {
      // Another caller's run of this query failed (on its own connection), or the cache failed
      // before anything ran: this caller's query has not run yet, so it runs now.
      const reason: SqlBypassReason =
        error instanceof LarderError ? 'cache-unavailable' : 'shared-run-failed';
      counters.query(analysis.fingerprint, 'bypass', reason, analysis.parseMs);
      spoilDependencies();
      return request.fallback();
    }
  }
  counters.query(analysis.fingerprint, own === undefined ? 'hit' : 'miss', undefined, analysis.parseMs);
  return decodeResult(cached, request.rowMode, request.types) as QueryResult;
}

/** `pending`, or `DETOUR` as soon as a shared run of `key` is stuck waiting for a connection. */
async function detourable(
  pending: Promise<CachedResult>,
  waits: ConnectionWaits,
  key: string,
): Promise<CachedResult | typeof DETOUR> {
  const watch = waits.watch(key);
  try {
    return await Promise.race([pending, watch.stalled.then((): typeof DETOUR => DETOUR)]);
  } finally {
    watch.stop();
  }
}
