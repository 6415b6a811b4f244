/**
 * How tables become cache tags: every cached query result carries one tag per
 * base table it read, plus the database's "all" tag, and a write (seen after
 * COMMIT by the wrapper, or in the WAL by the CDC listener) bumps the tags of
 * the tables it wrote. The tag names are the one contract the wrapper and the
 * CDC listener share, so they live here.
 */

/** A database as the cache sees it: the cluster's system identifier plus the database name. */
export interface DatabaseIdentity {
  /** `pg_control_system().system_identifier`, or another value unique per cluster. */
  readonly systemId: string;
  /** `current_database()`. */
  readonly database: string;
}

function scope(db: DatabaseIdentity): string {
  return `${db.systemId}/${db.database}`;
}

/**
 * The tag of one base table: `sql:<system id>/<db>:<schema>.<table>`. Schema
 * and table are as Postgres stores them (case preserved), so quoted and
 * unquoted spellings of one table meet here.
 */
export function tableTag(db: DatabaseIdentity, schema: string, table: string): string {
  return `sql:${scope(db)}:${JSON.stringify(schema)}.${JSON.stringify(table)}`;
}

/**
 * The tag every cached query of a database carries: bumping it invalidates all
 * of them at once (a lost replication slot, a TRUNCATE of unknown extent, a
 * manual purge).
 */
export function databaseTag(db: DatabaseIdentity): string {
  return `sql:${scope(db)}:*`;
}
