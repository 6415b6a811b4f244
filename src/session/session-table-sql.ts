/**
 * The SQL of the `cached_db` session table (issue 12), as pure functions of
 * the table name: the name checked and quoted, the DDL that `setup()` runs
 * and `sessionTableSql()` hands to users who run their own migrations, and
 * one statement per table operation.
 *
 * Every instant is a parameter in epoch milliseconds, turned into a
 * `timestamptz` by the statement (`to_timestamp($n / 1000)`), never the
 * server's `now()`: the caller's clock decides what has expired, so the
 * cache and the table agree on it and tests can drive a fake clock. The
 * price is that app servers with skewed clocks disagree by their skew.
 */
import { createHash } from 'node:crypto';
import { invalidOption } from '../core/invalid-option.js';

/** The table used when none is given. */
export const DEFAULT_SESSION_TABLE = 'larder_sessions';

/** The longest identifier Postgres keeps (NAMEDATALEN - 1), in bytes. */
const MAX_IDENTIFIER_BYTES = 63;
/**
 * One part of a table name. Lower case only: such a name means the same
 * quoted and unquoted, so the table a user queries in psql as
 * `larder_sessions` is the one we created as `"larder_sessions"`.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A checked table name: its parts and the quoted, qualified form statements use. */
export interface SessionTableName {
  readonly schema: string | undefined;
  readonly table: string;
  /** `"table"` or `"schema"."table"`. */
  readonly quoted: string;
}

/** Checks `table` (`name` or `schema.name`); throws `E_INVALID_OPTION` naming the `table` option. */
export function sessionTableName(table: unknown = DEFAULT_SESSION_TABLE): SessionTableName {
  const parts = typeof table === 'string' ? table.split('.') : [];
  const valid =
    parts.length >= 1 &&
    parts.length <= 2 &&
    parts.every((part) => IDENTIFIER.test(part) && Buffer.byteLength(part) <= MAX_IDENTIFIER_BYTES);
  if (!valid)
    throw invalidOption(
      'table',
      `a table name or schema.table, each part of 1 to ${MAX_IDENTIFIER_BYTES} lower-case letters, digits or _, not starting with a digit`,
      table,
      'sessionTable',
    );
  const [first = '', second] = parts;
  const schema = second === undefined ? undefined : first;
  const name = second ?? first;
  // The pattern leaves no `"` to double, so quoting is wrapping.
  const quoted = schema === undefined ? `"${name}"` : `"${schema}"."${name}"`;
  return { schema, table: name, quoted };
}

/**
 * The DDL of the session table: `CREATE TABLE IF NOT EXISTS` and the index on
 * `expires_at` that lets expired rows be found and deleted in small batches.
 * Idempotent. The schema, when the name has one, must exist.
 */
export function sessionTableDdl(name: SessionTableName): string {
  // Postgres truncates an index name past 63 bytes; the result is still stable.
  const index = `"${name.table}_expires_at"`;
  return `CREATE TABLE IF NOT EXISTS ${name.quoted} (
  -- The keyed hash of the session id (never the id itself). Collation "C":
  -- byte order, the same scan order on every database, cheaper comparisons.
  key text COLLATE "C" PRIMARY KEY,
  -- The session as opaque JSON text.
  record text NOT NULL,
  -- Compare-and-set version: every write adds 1.
  version bigint NOT NULL,
  -- The instant the session expires; rows at or past it are dead.
  expires_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${index} ON ${name.quoted} (expires_at);
`;
}

/**
 * The key of the transaction-level advisory lock that `setup()` holds around
 * the DDL: two `CREATE TABLE IF NOT EXISTS` racing can both miss the table and
 * the second fails on a catalog unique index; under the lock the second sees it.
 */
export function setupLockKey(name: SessionTableName): bigint {
  const digest = createHash('sha256').update(`larder:session-table:${name.quoted}`).digest();
  return digest.readBigInt64BE(0);
}

/** `$n`, an instant in epoch ms, as a `timestamptz`. */
function at(n: number): string {
  return `to_timestamp($${n}::float8 / 1000)`;
}

/** The columns a read returns: expires_at in epoch ms, version as text (a bigint is not a JS number). */
const EXPIRES_AT_MS = '(extract(epoch FROM expires_at) * 1000)::float8 AS expires_at_ms';

/** The statements of one table, each a single round trip. */
export interface SessionTableStatements {
  /** `$1` key, `$2` now. */
  readonly load: string;
  /** `$1` key, `$2` record, `$3` expiresAt, `$4` now. */
  readonly insert: string;
  /** `$1` key, `$2` record, `$3` expected version, `$4` expiresAt, `$5` now. */
  readonly update: string;
  /** `$1` key, `$2` now. */
  readonly remove: string;
  /** `$1` now. */
  readonly count: string;
  /** `$1` now, `$2` limit. */
  readonly scanFirst: string;
  /** `$1` now, `$2` limit, `$3` the last key of the previous batch. */
  readonly scanAfter: string;
  /** `$1` limit. */
  readonly clearBatch: string;
  /** `$1` now, `$2` limit. */
  readonly removeExpiredBatch: string;
}

/** The statements for table `name`; parameters only, the name is the one thing interpolated. */
export function sessionTableStatements(name: SessionTableName): SessionTableStatements {
  const t = name.quoted;
  return {
    load: `SELECT record, version::text AS version, ${EXPIRES_AT_MS} FROM ${t} WHERE key = $1 AND expires_at > ${at(2)}`,
    // A live row wins (no row returned). An expired one is replaced in place and
    // its version continues, so a writer still holding the old session's version
    // cannot compare-and-set the new one. The row lock of ON CONFLICT makes two
    // racing inserts end with one row and one `undefined`.
    insert: `INSERT INTO ${t} AS s (key, record, version, expires_at, updated_at)
VALUES ($1, $2, 1, ${at(3)}, ${at(4)})
ON CONFLICT (key) DO UPDATE
SET record = EXCLUDED.record, version = s.version + 1, expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at
WHERE s.expires_at <= ${at(4)}
RETURNING version::text AS version`,
    // Under READ COMMITTED, an UPDATE that waited for a concurrent one re-checks
    // its WHERE on the row that one left: of N writers with the same expected
    // version, one matches and the others find the version moved.
    update: `UPDATE ${t} SET record = $2, version = version + 1, expires_at = ${at(4)}, updated_at = ${at(5)}
WHERE key = $1 AND version = $3 AND expires_at > ${at(5)}
RETURNING version::text AS version`,
    // An expired row goes too (it is dead weight), but only a live one counts as removed.
    remove: `DELETE FROM ${t} WHERE key = $1 RETURNING expires_at > ${at(2)} AS live`,
    count: `SELECT count(*)::text AS n FROM ${t} WHERE expires_at > ${at(1)}`,
    scanFirst: `SELECT key, record, ${EXPIRES_AT_MS} FROM ${t}
WHERE expires_at > ${at(1)} ORDER BY key LIMIT $2`,
    scanAfter: `SELECT key, record, ${EXPIRES_AT_MS} FROM ${t}
WHERE key > $3 AND expires_at > ${at(1)} ORDER BY key LIMIT $2`,
    // No SKIP LOCKED: clear means every row, so it waits for a row a write holds.
    clearBatch: `DELETE FROM ${t} WHERE key = ANY(ARRAY(SELECT key FROM ${t} LIMIT $1 FOR UPDATE))`,
    // One short transaction per batch that locks only expired rows, found by the
    // expires_at index; SKIP LOCKED passes over a row an insert is replacing
    // right now. The outer re-check keeps a row that came back to life between
    // the pick and the delete.
    removeExpiredBatch: `DELETE FROM ${t}
WHERE key = ANY(ARRAY(SELECT key FROM ${t} WHERE expires_at <= ${at(1)} LIMIT $2 FOR UPDATE SKIP LOCKED))
AND expires_at <= ${at(1)}`,
  };
}
