/**
 * The parts of node-postgres the wrapper calls, as structural types, so that
 * a `pg.Client`, a `pg.PoolClient` and a pg-compatible fork all fit.
 */
import type { CustomTypesConfig, QueryConfig, QueryResult } from 'pg';

/** A connection: `pg.Client` or `pg.PoolClient`. */
export interface PgClientLike {
  query(config: QueryConfig): Promise<QueryResult>;
  /** `I` idle, `T` in a transaction, `E` in a failed one (node-postgres ≥ 8.12); absent on older versions. */
  getTransactionStatus?(): 'I' | 'T' | 'E' | null;
  getTypeParser?: CustomTypesConfig['getTypeParser'];
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/** A pooled connection: `pg.PoolClient`. */
export interface PgPoolClientLike extends PgClientLike {
  release(error?: Error | boolean): void;
}

/** A pool: `pg.Pool`. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  query(config: unknown, values?: unknown, callback?: unknown): unknown;
  end(): Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly expiredCount?: number;
  readonly ending?: boolean;
  readonly ended?: boolean;
  readonly options?: unknown;
}

/** True for an error Postgres sent (it has a SQLSTATE and a severity): the statement had no effect. */
export function isServerError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
