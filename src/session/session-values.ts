/** Small pure helpers of the session engine: the cookie and changes as stored, and its error. */
import { isLarderError, LarderError } from '../core/errors.js';
import type { SessionChanges, SessionData } from './session-changes.js';

/** The cookie of a session as JSON stores it (`toJSON` when the framework's `Cookie` has one). */
export const cookieOf = (session: Readonly<Record<string, unknown>>): SessionData => {
  const cookie = session.cookie as { toJSON?: () => unknown } | undefined;
  const json = typeof cookie?.toJSON === 'function' ? cookie.toJSON() : cookie;
  return typeof json === 'object' && json !== null ? (JSON.parse(JSON.stringify(json)) as SessionData) : {};
};

/**
 * The changes with private copies of their values, as JSON would store them:
 * the application may go on mutating its session after a save, and the
 * loaded snapshot built from these must not change with it.
 */
export const ownChanges = (changes: SessionChanges): SessionChanges => {
  if (changes.set.size === 0) return changes;
  const set = new Map<string, unknown>();
  for (const [field, value] of changes.set) set.set(field, JSON.parse(JSON.stringify(value)));
  return { set, deleted: changes.deleted };
};

/** A store failure, as a save, load or destroy reports it. */
export function unavailable(operation: string, cause: unknown): LarderError {
  return new LarderError(
    'E_SESSION_UNAVAILABLE',
    `session ${operation}: the session store is unavailable (${isLarderError(cause) ? cause.code : 'error'}); nothing was written`,
    { cause },
  );
}
