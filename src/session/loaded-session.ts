/**
 * What a request loaded, carried on its session object so that its save can
 * tell which fields the request changed (docs/decisions/0009-session-merge.md).
 *
 * express-session and @fastify/session both copy the loaded object's
 * enumerable properties into their `Session`, and hand that `Session` back to
 * the store's `set`; neither lets a store keep state per request otherwise.
 * So the marker rides along as a property whose JSON is nothing: it never
 * reaches a response, a stored record, or express-session's change hash.
 */
import type { CasToken } from '../core/compare-and-set.js';
import type { SessionData } from './session-changes.js';

/** The property name; not one an application would choose. */
export const LOADED = '__larderLoaded';

/** The session as its request loaded it. */
export class LoadedSession {
  /** The store key it was loaded from (a session's id can change under it: `regenerate`). */
  readonly key: string;
  /** The fields as loaded, or the record text they are parsed from when first asked for. */
  #fields: SessionData | string;
  /** Cache-only mode: the token of the bytes loaded, when known (a save's first attempt needs no read). */
  readonly token: CasToken | undefined;
  /** `cached_db` mode: the row version loaded. */
  readonly version: number | undefined;
  /** The expiry stored with it (a touch that would barely move it is skipped). */
  readonly expiresAt: number;

  constructor(
    key: string,
    fields: SessionData | string,
    token: CasToken | undefined,
    version: number | undefined,
    expiresAt: number,
  ) {
    this.key = key;
    this.#fields = fields;
    this.token = token;
    this.version = version;
    this.expiresAt = expiresAt;
  }

  /**
   * The fields as loaded, a private copy (the application mutates the ones
   * it was given). Parsed from the stored text on first use: a request that
   * only reads never needs them.
   */
  get fields(): SessionData {
    const fields = this.#fields;
    if (typeof fields !== 'string') return fields;
    const parsed = (JSON.parse(fields) as { fields: SessionData }).fields;
    this.#fields = parsed;
    return parsed;
  }

  /** Nothing: JSON.stringify leaves the property out. */
  toJSON(): undefined {
    return undefined;
  }
}

/** The marker on `session` when it was loaded from `key`, else undefined (a new session). */
export function loadedFrom(
  session: Readonly<Record<string, unknown>>,
  key: string,
): LoadedSession | undefined {
  const marker = session[LOADED];
  return marker instanceof LoadedSession && marker.key === key ? marker : undefined;
}

/** Put the marker on `session` (enumerable: the frameworks copy only those). */
export function markLoaded(session: Record<string, unknown>, loaded: LoadedSession): void {
  session[LOADED] = loaded;
}
