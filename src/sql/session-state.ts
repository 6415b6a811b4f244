/**
 * The session facts a cached result depends on, read from the connection: the
 * effective search_path (names resolve against it), the user (row-level
 * security, privileges), the default isolation level, and the settings that
 * change how values are printed. Plus the database identity, read once.
 *
 * Every query here is read-only and cannot fail for lack of privileges, so it
 * is safe to run inside the user's transaction: a failing query there would
 * abort the transaction.
 */
import type { QueryConfig, QueryResult } from 'pg';
import { WarningCodes, warnOnce } from '../core/errors.js';
import { RAW_TYPES } from './result-codec.js';
import type { DatabaseIdentity } from './table-tags.js';

/** Something that runs one query: a raw `pg` client. */
export interface RawQueryable {
  query(config: QueryConfig): Promise<QueryResult>;
}

/** A connection's session, as read. */
export interface SessionState {
  /** `current_schemas(true)`: the schemas an unqualified name is looked up in, in order (pg_catalog included). */
  readonly schemas: readonly string[];
  readonly user: string;
  /** `default_transaction_isolation` is REPEATABLE READ or SERIALIZABLE: a plain BEGIN opens a snapshot transaction. */
  readonly snapshotDefault: boolean;
  /** Everything above and the output settings, as one string for query keys. */
  readonly fingerprint: string;
}

const SESSION_SQL = `SELECT json_build_object(
  'schemas', current_schemas(true),
  'user', current_user,
  'isolation', current_setting('default_transaction_isolation'),
  'settings', json_build_array(
    current_setting('TimeZone'), current_setting('DateStyle'), current_setting('IntervalStyle'),
    current_setting('bytea_output'), current_setting('extra_float_digits'), current_setting('lc_monetary'),
    current_setting('standard_conforming_strings')))::text AS session`;

const PRIVILEGE_SQL = `SELECT has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')::text AS allowed`;
const IDENTITY_SQL = `SELECT json_build_object('systemId', system_identifier::text, 'database', current_database())::text AS identity
  FROM pg_catalog.pg_control_system()`;
const FALLBACK_IDENTITY_SQL = `SELECT json_build_object(
  'systemId', 'addr:' || coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port()::text, ''),
  'database', current_database())::text AS identity`;

/** A temp schema's name differs per backend; temp relations bypass the cache, so keys leave it out. */
const TEMP_SCHEMA = /^pg_temp_\d+$/;

/** Run one internal query whose single value is text (RAW_TYPES: the user's type parsers never touch it). */
export async function queryText(client: RawQueryable, text: string, values?: unknown[]): Promise<string> {
  const result = await client.query({ text, values: values ?? [], types: RAW_TYPES });
  const row = result.rows[0] as Record<string, unknown> | undefined;
  const value = row === undefined ? undefined : Object.values(row)[0];
  return typeof value === 'string' ? value : '';
}

/** Read the session of the connection behind `client`. */
export async function readSession(client: RawQueryable): Promise<SessionState> {
  const parsed = JSON.parse(await queryText(client, SESSION_SQL)) as {
    schemas: string[];
    user: string;
    isolation: string;
    settings: string[];
  };
  const keyed = parsed.schemas.filter((schema) => !TEMP_SCHEMA.test(schema));
  return Object.freeze({
    schemas: Object.freeze(parsed.schemas),
    user: parsed.user,
    snapshotDefault: /repeatable|serializable/i.test(parsed.isolation),
    fingerprint: JSON.stringify([keyed, parsed.user, parsed.settings]),
  });
}

/**
 * The database identity: `pg_control_system().system_identifier` (what the CDC
 * listener's IDENTIFY_SYSTEM reports) and `current_database()`. A role that may
 * not call `pg_control_system()` gets the server address and port instead, with
 * a warning: every process must then reach the server by the same address, and
 * the CDC listener's invalidations will not match — pass `identity` instead.
 */
export async function discoverIdentity(client: RawQueryable): Promise<DatabaseIdentity> {
  const allowed = (await queryText(client, PRIVILEGE_SQL)) === 'true';
  if (allowed) return JSON.parse(await queryText(client, IDENTITY_SQL)) as DatabaseIdentity;
  warnOnce(
    WarningCodes.W_SQL_IDENTITY,
    'larder/sql: this role may not call pg_control_system(), so the database is identified by the server ' +
      'address instead; pass { identity: { systemId, database } } to cachedPool/cachedClient (see docs/sql.md)',
  );
  return JSON.parse(await queryText(client, FALLBACK_IDENTITY_SQL)) as DatabaseIdentity;
}
