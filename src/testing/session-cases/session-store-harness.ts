/**
 * What a caller hands the session-store compliance suite: the store under test
 * and the hooks only its author can write (where the store keeps a session's
 * bytes, how long it will keep them).
 *
 * The store is typed by the shape the suite uses, not by express-session's
 * `Store` class, so that `larder/testing`'s published types never refer to
 * express-session (an optional peer a user of the cache conformance suite may
 * not have).
 */

/**
 * An express-session store: an instance of a subclass of express-session's
 * `Store` (the suite hands it to `session({ store })`, which relies on the
 * base class's `createSession`, `load` and `regenerate`).
 */
export interface ExpressSessionStore {
  /** Calls back with the stored session, or with nothing when there is none. */
  get(sessionId: string, callback: (error: unknown, session?: unknown) => void): unknown;
  /** Stores the whole session express-session hands it. */
  set(sessionId: string, session: object, callback?: (error?: unknown) => void): unknown;
  /** Removes the session. */
  destroy(sessionId: string, callback?: (error?: unknown) => void): unknown;
  /** Extends the session's life after a request that did not change it. */
  touch?(sessionId: string, session: object, callback?: (error?: unknown) => void): unknown;
  /** The suite listens for `error`, which a store may emit instead of failing a request. */
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/**
 * What `corrupt` must write where the store keeps one session's bytes: each a
 * value the store may find there after a bug, a partial write, a migration or
 * an attack.
 */
export type SessionCorruption =
  /** Bytes that do not decode at all (for a JSON store: invalid JSON). */
  | { readonly kind: 'malformed' }
  /** Bytes that decode, but not to a session (for a JSON store: `["not","a","session"]`). */
  | { readonly kind: 'wrong-shape' }
  /** A value in the store's own format, at least `bytes` long: a session of that size is a bug or an attack. */
  | { readonly kind: 'oversized'; readonly bytes: number }
  /** A copy of the bytes the store keeps for another session, `fromSessionId`. */
  | { readonly kind: 'foreign'; readonly fromSessionId: string };

/**
 * The store under test and its hooks. Running the suite against a new store is
 * a new harness object.
 *
 * @example
 * import session from 'express-session';
 *
 * const stores: InstanceType<typeof session.MemoryStore>[] = [];
 * const harness: SessionStoreHarness = {
 *   name: 'express-session MemoryStore',
 *   makeStore: () => {
 *     const store = new session.MemoryStore();
 *     stores.push(store);
 *     return store;
 *   },
 * };
 */
export interface SessionStoreHarness {
  /** Shown in results and test titles. */
  readonly name: string;
  /**
   * Creates the store under test. Called once per case, so no case sees
   * another's sessions; `close` releases everything it made.
   */
  makeStore(): ExpressSessionStore | Promise<ExpressSessionStore>;
  /**
   * Writes `corruption` where the most recent store `makeStore` returned keeps
   * session `sessionId`. Without it the malformed-value cases are skipped.
   */
  corrupt?(sessionId: string, corruption: SessionCorruption): Promise<void>;
  /**
   * Milliseconds until the most recent store drops session `sessionId`:
   * `Infinity` when it never will, `undefined` when it holds no such session.
   * Without it the default-expiry case is skipped.
   */
  ttlOf?(sessionId: string): Promise<number | undefined>;
  /** Called once after the last case: close clients, delete keys. */
  close?(): Promise<void>;
}
