/**
 * `larder/session`: sessions on a Larder cache. The @fastify/session store,
 * and the Postgres table of `cached_db` mode (its migration SQL). The
 * express-session store is `larder/express-session`. See docs/sessions.md.
 */
export { FastifySessionStore } from './fastify-session-store.js';
export type { SessionDatabaseOptions, SessionStoreOptions } from './session-options.js';
export { type SessionTablePool, sessionTableSql } from './session-table.js';
