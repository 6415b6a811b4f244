/**
 * Messages between bench/sessions.ts and one contender's server
 * (./session-server.ts, a child process): the server announces its port,
 * and answers counter reads so the runner can turn the measured window's
 * deltas into Postgres queries per request.
 */

/** The contenders, in the order they are reported. */
export const SESSION_CONTENDERS = [
  'connect-redis',
  'postgres-only',
  'larder-redis',
  'larder-tiered',
  'larder-cached-db',
] as const;

/** One contender's name. */
export type SessionContender = (typeof SESSION_CONTENDERS)[number];

/** Counters of one server process since it started. */
export interface SessionServerCounters {
  /** Requests that reached the app (every route). */
  readonly requests: number;
  /** Statements sent to Postgres by the process's pool (BEGIN and COMMIT included). */
  readonly queries: number;
  /** Requests that arrived while another request of the same session was still being handled. */
  readonly overlaps: number;
}

/** Runner → server. */
export type SessionServerRequest = { readonly type: 'counters' } | { readonly type: 'close' };

/** Server → runner. */
export type SessionServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | ({ readonly type: 'counters' } & SessionServerCounters)
  | { readonly type: 'error'; readonly error: string };
