/**
 * The Postgres table behind the `cached_db` session mode (issue 12): the
 * source of truth the session store writes first and reads on a cache miss
 * or when the cache is down. One row per session, compare-and-set on a
 * version, expired rows invisible at once and deleted later in small batches.
 *
 * It takes the user's pool (a `pg.Pool`, typed structurally: only `query`)
 * and loads no driver itself. Each operation is one statement, one round
 * trip, in its own short transaction. The SQL is in session-table-sql.ts.
 */
import { LarderError } from '../core/errors.js';
import { invalidOption, showValue } from '../core/invalid-option.js';
import {
  type SessionTableStatements,
  sessionTableDdl,
  sessionTableName,
  sessionTableStatements,
  setupLockKey,
} from './session-table-sql.js';

/** A live session row as the table holds it. */
export interface SessionRow {
  /** The session as opaque JSON text. */
  readonly record: string;
  /** The compare-and-set version: 1 on creation, +1 on every write. */
  readonly version: number;
  /** When the session expires, epoch ms. */
  readonly expiresAt: number;
}

/**
 * What the table needs of a pool: `query`, resolving a `pg.QueryResult`. A
 * `pg.Pool` fits, and so does larder/sql's internal `PgPoolLike`; sql's
 * `PgPoolLike` itself is not used here because `pg.Pool` is not assignable to
 * it (its listener types are stricter), and this layer needs `query` alone.
 */
export interface SessionTablePool {
  query(config: string | { readonly text: string; readonly values: readonly unknown[] }): unknown;
}

/** Options of `sessionTable`. */
export interface SessionTableOptions {
  /** The pool the table is queried through (`pg.Pool` or compatible); the caller owns and closes it. */
  readonly pool: SessionTablePool;
  /**
   * The table, `name` or `schema.name`, lower case (letters, digits, `_`).
   * @default 'larder_sessions'
   */
  readonly table?: string;
  /**
   * The clock that decides what has expired: its `now()` (epoch ms) is sent with
   * every statement, in place of the server's `now()`.
   * @default Date
   */
  readonly clock?: { now(): number };
}

/** A batch of live sessions, as `scan` yields them. */
export type SessionBatch = ReadonlyArray<{ key: string; record: string; expiresAt: number }>;

/** The session table: every read and write of the `cached_db` mode's source of truth. */
export interface SessionTable {
  /** The table's quoted, qualified name, as the statements use it (`"larder_sessions"`). */
  readonly name: string;
  /** Create the table and its `expires_at` index if missing; idempotent, safe from two processes at once. */
  setup(): Promise<void>;
  /** The live session under `key`, or undefined when absent or expired. */
  load(key: string): Promise<SessionRow | undefined>;
  /**
   * Create the session with version 1, or replace an expired row (its version
   * continues); resolves the new version, or undefined when a live row exists.
   * Once `remove` or `removeExpired` has deleted a row, its key starts at 1 again.
   */
  insert(key: string, record: string, expiresAt: number): Promise<number | undefined>;
  /**
   * Replace the session if it is live and at `expectedVersion`; resolves the new
   * version (`expectedVersion + 1`), or undefined when it is absent, expired or
   * at another version.
   */
  update(
    key: string,
    record: string,
    expectedVersion: number,
    expiresAt: number,
  ): Promise<number | undefined>;
  /** Delete the session; resolves whether a live one was there. */
  remove(key: string): Promise<boolean>;
  /** The number of live sessions. */
  count(): Promise<number>;
  /**
   * Live sessions in key order, `batchSize` at a time (keyset pagination: each
   * batch is one short query, no OFFSET, no transaction held open between batches).
   * @default batchSize 1000
   */
  scan(batchSize?: number): AsyncIterable<SessionBatch>;
  /** Delete every row, live or expired, in batches of 1000; resolves how many. */
  clear(): Promise<number>;
  /**
   * Delete expired rows in batches, each its own short transaction that locks
   * only expired rows and skips those another transaction holds, so live
   * sessions' writes never wait for it. Stops at a short batch or after
   * `maxBatches`; resolves how many rows it deleted.
   */
  removeExpired(options?: RemoveExpiredOptions): Promise<number>;
}

/** Options of `removeExpired`. */
export interface RemoveExpiredOptions {
  /** Rows deleted per statement. @default 1000 */
  readonly batchSize?: number;
  /** Stop after this many batches (a bound on one run's work). @default unbounded */
  readonly maxBatches?: number;
}

const DEFAULT_BATCH_SIZE = 1000;
const SYSTEM_CLOCK = { now: () => Date.now() };

/** What the pool resolves for a statement (the part we read of `pg.QueryResult`). */
interface Result {
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  readonly rowCount: number | null;
}

/**
 * The session table over `options.pool`. Nothing is queried until a method is
 * called; call `setup()` once (or run `sessionTableSql()` as a migration).
 * @example
 * const table = sessionTable({ pool: new pg.Pool(), table: 'app.sessions' });
 * await table.setup();
 * const version = await table.insert(key, JSON.stringify(session), Date.now() + 86_400_000);
 */
export function sessionTable(options: SessionTableOptions): SessionTable {
  const pool = options.pool;
  if (typeof pool?.query !== 'function')
    throw invalidOption('pool', 'a pg.Pool (or pg-compatible pool)', pool, 'sessionTable');
  const name = sessionTableName(options.table);
  const clock = options.clock ?? SYSTEM_CLOCK;
  if (typeof clock.now !== 'function')
    throw invalidOption('clock', 'an object with a now() method', clock, 'sessionTable');
  const sql = sessionTableStatements(name);

  const run = async (operation: string, text: string, values: readonly unknown[] = []): Promise<Result> => {
    try {
      return (await pool.query(values.length === 0 ? text : { text, values })) as Result;
    } catch (error) {
      throw tableError(name.quoted, operation, error);
    }
  };

  return Object.freeze({
    name: name.quoted,
    async setup() {
      // One simple-protocol message: its statements run in one implicit
      // transaction, which holds the advisory lock until the DDL commits.
      await run('setup', `SELECT pg_advisory_xact_lock(${setupLockKey(name)});\n${sessionTableDdl(name)}`);
    },
    async load(key: string) {
      const { rows } = await run('load', sql.load, [key, clock.now()]);
      const row = rows[0];
      return row === undefined
        ? undefined
        : { record: String(row.record), version: Number(row.version), expiresAt: Number(row.expires_at_ms) };
    },
    async insert(key: string, record: string, expiresAt: number) {
      checkInstant('expiresAt', expiresAt);
      const { rows } = await run('insert', sql.insert, [key, record, expiresAt, clock.now()]);
      return versionOf(rows);
    },
    async update(key: string, record: string, expectedVersion: number, expiresAt: number) {
      checkInstant('expiresAt', expiresAt);
      if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1)
        throw argumentError('expectedVersion', 'an integer >= 1', expectedVersion);
      const values = [key, record, expectedVersion, expiresAt, clock.now()];
      return versionOf((await run('update', sql.update, values)).rows);
    },
    async remove(key: string) {
      const { rows } = await run('remove', sql.remove, [key, clock.now()]);
      return rows[0]?.live === true;
    },
    async count() {
      const { rows } = await run('count', sql.count, [clock.now()]);
      return Number(rows[0]?.n ?? 0);
    },
    scan(batchSize = DEFAULT_BATCH_SIZE) {
      checkBatchSize('batchSize', batchSize);
      return scanBatches(run, sql, clock, batchSize);
    },
    async clear() {
      return deleteInBatches(() => run('clear', sql.clearBatch, [DEFAULT_BATCH_SIZE]), DEFAULT_BATCH_SIZE);
    },
    async removeExpired(removeOptions: RemoveExpiredOptions = {}) {
      const batchSize = removeOptions.batchSize ?? DEFAULT_BATCH_SIZE;
      checkBatchSize('batchSize', batchSize);
      const maxBatches = removeOptions.maxBatches ?? Number.POSITIVE_INFINITY;
      if (maxBatches !== Number.POSITIVE_INFINITY) checkBatchSize('maxBatches', maxBatches);
      return deleteInBatches(
        // Each batch reads the clock again: a long run also takes what expired meanwhile.
        () => run('removeExpired', sql.removeExpiredBatch, [clock.now(), batchSize]),
        batchSize,
        maxBatches,
      );
    },
  });
}

/**
 * The migration SQL for users who run their own migrations: the same DDL as
 * `setup()` (without its advisory lock). Checks `table` as `sessionTable` does.
 * @default table 'larder_sessions'
 * @example
 * writeFileSync('migrations/0042_larder_sessions.sql', sessionTableSql('app.sessions'));
 */
export function sessionTableSql(table?: string): string {
  return sessionTableDdl(sessionTableName(table));
}

type Run = (operation: string, text: string, values?: readonly unknown[]) => Promise<Result>;

async function* scanBatches(
  run: Run,
  sql: SessionTableStatements,
  clock: { now(): number },
  batchSize: number,
): AsyncGenerator<SessionBatch> {
  let after: string | undefined;
  for (;;) {
    const { rows } =
      after === undefined
        ? await run('scan', sql.scanFirst, [clock.now(), batchSize])
        : await run('scan', sql.scanAfter, [clock.now(), batchSize, after]);
    const batch = rows.map((row) => ({
      key: String(row.key),
      record: String(row.record),
      expiresAt: Number(row.expires_at_ms),
    }));
    if (batch.length > 0) yield batch;
    if (batch.length < batchSize) return;
    after = batch[batch.length - 1]?.key;
  }
}

async function deleteInBatches(
  batch: () => Promise<Result>,
  batchSize: number,
  maxBatches = Number.POSITIVE_INFINITY,
): Promise<number> {
  let deleted = 0;
  for (let done = 0; done < maxBatches; done++) {
    const count = (await batch()).rowCount ?? 0;
    deleted += count;
    // A short batch: nothing more to take (or the rest is locked by writers, who keep it).
    if (count < batchSize) break;
  }
  return deleted;
}

function versionOf(rows: Result['rows']): number | undefined {
  const row = rows[0];
  return row === undefined ? undefined : Number(row.version);
}

function checkInstant(path: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw argumentError(path, 'a finite instant in epoch ms', value);
}

function checkBatchSize(path: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1)
    throw argumentError(path, 'an integer >= 1', value);
}

/** `E_INVALID_ARGUMENT` in the shape of an option error (invalid-option.ts). */
function argumentError(path: string, expected: string, got: unknown): LarderError {
  return new LarderError(
    'E_INVALID_ARGUMENT',
    `sessionTable: ${path} must be ${expected}, got ${showValue(got)}`,
  );
}

/** SQLSTATEs whose fix is to run `setup()` first. */
const MISSING = new Set(['42P01', '3F000']); // undefined_table, invalid_schema_name

/**
 * `E_STORE` for a failed statement, with the server's error as `cause`. The
 * message names the table and the operation, never a key or a record.
 */
function tableError(table: string, operation: string, error: unknown): LarderError {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  const hint =
    typeof code === 'string' && MISSING.has(code)
      ? operation === 'setup'
        ? ' (create the schema first: setup() creates only the table and its index)'
        : ' (run setup() or the SQL of sessionTableSql() first)'
      : '';
  return new LarderError(
    'E_STORE',
    `sessionTable ${table}: ${operation} failed: ${String(message ?? error)}${hint}`,
    { cause: error },
  );
}
