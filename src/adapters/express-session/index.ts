/**
 * `larder/express-session`: an express-session `Store` on a Larder cache,
 * with no lost updates and an optional Postgres source of truth. See
 * docs/sessions.md.
 */
export type { SessionDatabaseOptions, SessionStoreOptions } from '../../session/session-options.js';
export { LarderSessionStore } from './larder-session-store.js';
