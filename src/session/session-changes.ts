/**
 * What one request changed in a session, field by field, and how to apply
 * those changes to the session as another request left it meanwhile (the
 * groundwork of issue 12's lost-update fix; not exported yet).
 *
 * Stores such as connect-redis write the whole session back at the end of a
 * request, so of two concurrent requests the slower one erases the faster
 * one's change. Writing changes instead — the fields this request set or
 * deleted since it loaded the session — and re-applying them on the latest
 * stored session keeps both; within one field the last writer wins.
 * `cookie` is not a field here: its expiry is the store's `touch`.
 */

/** A session's data as express-session and @fastify/session hold it: plain JSON. */
export type SessionData = Readonly<Record<string, unknown>>;

/** The fields a request set (to their new values) and deleted. */
export interface SessionChanges {
  readonly set: ReadonlyMap<string, unknown>;
  readonly deleted: ReadonlySet<string>;
}

/** Fields that are the store's business, not the application's. */
const NOT_FIELDS = new Set(['cookie', '__larderLoaded']);

/**
 * A canonical JSON text of a value: object keys sorted, so two structurally
 * equal values compare equal whatever order their keys were set in. Values
 * JSON drops (`undefined`, functions) read as absent, as they would once stored.
 */
function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item) ?? 'null').join(',')}]`;
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return canonical(withJson.toJSON());
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const text = canonical((value as Record<string, unknown>)[key]);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/** The changes that turn `loaded` (undefined: a new session) into `current`. */
export function sessionChanges(loaded: SessionData | undefined, current: SessionData): SessionChanges {
  const set = new Map<string, unknown>();
  const deleted = new Set<string>();
  const before = loaded ?? {};
  for (const [field, value] of Object.entries(current)) {
    if (NOT_FIELDS.has(field)) continue;
    const text = canonical(value);
    if (text === undefined) {
      if (Object.hasOwn(before, field) && canonical(before[field]) !== undefined) deleted.add(field);
      continue;
    }
    if (!Object.hasOwn(before, field) || canonical(before[field]) !== text) set.set(field, value);
  }
  for (const field of Object.keys(before))
    if (!NOT_FIELDS.has(field) && !Object.hasOwn(current, field) && canonical(before[field]) !== undefined)
      deleted.add(field);
  return { set, deleted };
}

/** Whether a request changed nothing (its write can be skipped, or be a touch). */
export function noChanges(changes: SessionChanges): boolean {
  return changes.set.size === 0 && changes.deleted.size === 0;
}

/**
 * `latest` with `changes` applied: the fields this request set take its
 * values (the last writer wins within a field), those it deleted are gone,
 * and every other field keeps what `latest` holds — another request's change
 * included.
 */
export function applyChanges(latest: SessionData, changes: SessionChanges): SessionData {
  const next: Record<string, unknown> = { ...latest };
  for (const field of changes.deleted) delete next[field];
  for (const [field, value] of changes.set) next[field] = value;
  return next;
}
