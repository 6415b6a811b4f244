/** The type parsers node-postgres would use for a query on a connection that names none. */
import pg, { type CustomTypesConfig } from 'pg';
import type { PgClientLike } from './pg-like.js';

const known = new WeakMap<PgClientLike, CustomTypesConfig>();

/**
 * The connection's own parsers (its `types` option and `setTypeParser` calls,
 * falling back to pg's global ones), or pg's global parsers without a connection.
 */
export function typesOf(client: PgClientLike | undefined): CustomTypesConfig {
  const getTypeParser = client?.getTypeParser;
  if (client === undefined || getTypeParser === undefined) return pg.types;
  let types = known.get(client);
  if (types === undefined) {
    types = { getTypeParser: getTypeParser.bind(client) as CustomTypesConfig['getTypeParser'] };
    known.set(client, types);
  }
  return types;
}
