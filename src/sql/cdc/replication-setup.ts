/**
 * The catalog side of the CDC listener, on a normal connection: wal_level,
 * the database identity, the publication and the durable slot — checked,
 * created when allowed, and every failure turned into an `E_CDC_SETUP` error
 * that names the setting or privilege to fix.
 */
import pg from 'pg';
import { LarderError } from '../../core/errors.js';
import type { DatabaseIdentity } from '../table-tags.js';
import { parseLsn } from './lsn.js';
import type { RelationName } from './transaction-collector.js';

/** What `pg_replication_slots` says about the slot. */
export type SlotState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      /** Invalidated: the server removed WAL the slot needed (or, on a standby, a recovery conflict). */
      readonly lost: boolean;
      /** The backend streaming from it, if any. */
      readonly activePid: number | null;
      /** Where a new stream starts; `undefined` on an invalidated slot. */
      readonly confirmedFlushLsn: bigint | undefined;
    };

/** A Postgres error as node-postgres reports it. */
export interface PgError {
  readonly code?: string;
  readonly message: string;
}

/** The SQLSTATE of a server error, if `error` is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as PgError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function setupError(message: string, cause?: unknown): LarderError {
  return new LarderError('E_CDC_SETUP', `larder/sql CDC: ${message}`, cause === undefined ? {} : { cause });
}

function privilegeHint(error: unknown, what: string, hint: string): never {
  const state = sqlState(error);
  if (state === '42501') throw setupError(`${what}: ${(error as PgError).message}; ${hint}`, error);
  if (state === '53400')
    throw setupError(`${what}: ${(error as PgError).message}; raise max_replication_slots`, error);
  if (state === '55000') throw setupError(`${what}: ${(error as PgError).message}`, error);
  throw error;
}

/** The database identity cache tags use. */
export async function readIdentity(client: pg.Client): Promise<DatabaseIdentity> {
  const { rows } = await client
    .query<{ system_id: string; database: string }>(
      'SELECT system_identifier::text AS system_id, current_database() AS database FROM pg_control_system()',
    )
    .catch((error: unknown) =>
      privilegeHint(
        error,
        'could not read the database identity',
        'pass the `identity` option (the one the wrapper uses), or GRANT EXECUTE ON FUNCTION pg_control_system() to the role',
      ),
    );
  const row = rows[0];
  if (row === undefined) throw setupError('pg_control_system() returned no row');
  return { systemId: row.system_id, database: row.database };
}

/** Throws `E_CDC_SETUP` unless `wal_level` is `logical`. */
export async function checkWalLevel(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ wal_level: string }>(
    "SELECT current_setting('wal_level') AS wal_level",
  );
  const level = rows[0]?.wal_level;
  if (level !== 'logical') {
    throw setupError(
      `wal_level is '${level}', logical decoding needs wal_level=logical (set it in postgresql.conf or with ALTER SYSTEM and restart Postgres; managed services have their own flag, see docs/sql-cdc.md)`,
    );
  }
}

/** Make sure the publication exists, creating it when `create` allows. */
export async function ensurePublication(
  client: pg.Client,
  name: string,
  tables: 'all' | readonly RelationName[],
  create: boolean,
): Promise<'existed' | 'created'> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (rowCount !== null && rowCount > 0) return 'existed';
  const target =
    tables === 'all'
      ? 'FOR ALL TABLES'
      : `FOR TABLE ${tables.map((t) => `${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.table)}`).join(', ')}`;
  const statement = `CREATE PUBLICATION ${pg.escapeIdentifier(name)} ${target}`;
  if (!create)
    throw setupError(`publication "${name}" does not exist; create it (${statement}) or pass create: true`);
  try {
    await client.query(statement);
    return 'created';
  } catch (error) {
    if (sqlState(error) === '42710') return 'existed'; // another listener created it first
    return privilegeHint(
      error,
      `could not create publication "${name}"`,
      tables === 'all'
        ? 'FOR ALL TABLES needs a superuser: create the publication as one, or list the tables (option tables)'
        : 'the role needs CREATE on the database and ownership of the tables, or create the publication as their owner',
    );
  }
}

interface SlotRow {
  readonly slot_type: string;
  readonly plugin: string | null;
  readonly database: string | null;
  readonly temporary: boolean;
  readonly active_pid: number | null;
  readonly confirmed_flush_lsn: string | null;
  readonly wal_status: string | null;
  /** Postgres 16+. */
  readonly conflicting?: boolean | null;
  /** Postgres 17+. */
  readonly invalidation_reason?: string | null;
}

/** Read the slot's state; throws `E_CDC_SETUP` when the name is taken by a slot that is not ours to use. */
export async function readSlot(client: pg.Client, slot: string, database: string): Promise<SlotState> {
  const { rows } = await client.query<SlotRow>('SELECT * FROM pg_replication_slots WHERE slot_name = $1', [
    slot,
  ]);
  const row = rows[0];
  if (row === undefined) return { exists: false };
  if (
    row.slot_type !== 'logical' ||
    row.plugin !== 'pgoutput' ||
    row.database !== database ||
    row.temporary
  ) {
    throw setupError(
      `replication slot "${slot}" exists but is a ${row.temporary ? 'temporary ' : ''}${row.slot_type} slot (plugin ${row.plugin}, database ${row.database}); the listener needs a durable pgoutput slot of database "${database}": choose another slot name`,
    );
  }
  const lost =
    row.wal_status === 'lost' ||
    row.conflicting === true ||
    (row.invalidation_reason !== undefined && row.invalidation_reason !== null);
  return {
    exists: true,
    lost,
    activePid: row.active_pid,
    confirmedFlushLsn:
      lost || row.confirmed_flush_lsn === null ? undefined : parseLsn(row.confirmed_flush_lsn),
  };
}

/** Create the durable slot; resolves its starting position. */
export async function createSlot(client: pg.Client, slot: string): Promise<bigint> {
  try {
    // Not temporary: the slot outlives our connection and keeps the WAL while we are down.
    const { rows } = await client.query<{ lsn: string }>(
      "SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput', false)",
      [slot],
    );
    return parseLsn(rows[0]?.lsn ?? '0/0');
  } catch (error) {
    return privilegeHint(
      error,
      `could not create replication slot "${slot}"`,
      'the role needs the REPLICATION attribute (ALTER ROLE ... REPLICATION)',
    );
  }
}

/**
 * Drop the slot if it exists; resolves whether it did. A slot still held by
 * a stream that is closing (SQLSTATE 55006) is retried for up to `waitMs`.
 */
export async function dropSlot(client: pg.Client, slot: string, waitMs = 5_000): Promise<boolean> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    try {
      const { rowCount } = await client.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      return rowCount !== null && rowCount > 0;
    } catch (error) {
      if (sqlState(error) !== '55006' || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The server's current WAL position (the replay position on a standby). */
export async function currentWalLsn(client: pg.Client): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>(
    'SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn',
  );
  return parseLsn(rows[0]?.lsn ?? '0/0');
}

/** Wait (up to `timeoutMs`) until the backend `pid` no longer holds the slot. */
export async function waitForSlotRelease(
  client: pg.Client,
  slot: string,
  pid: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { rows } = await client.query<{ active_pid: number | null }>(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    if (rows[0]?.active_pid !== pid) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
