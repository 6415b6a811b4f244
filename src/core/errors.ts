/**
 * Every error and warning Larder raises, with a stable code. Codes never change
 * meaning; new ones are added at the end.
 */

/** The registry of error and warning codes and what each means. */
export const ErrorCodes = {
  /** An option has a value of the wrong type or range. */
  E_INVALID_OPTION: 'An option has a value of the wrong type or range',
  /**
   * A key is longer than 250 code points or contains whitespace/control
   * characters (under `keyValidation: 'error'`), or holds a lone UTF-16
   * surrogate (always).
   */
  E_INVALID_KEY: 'A cache key is invalid (too long, whitespace or control characters, or a lone surrogate)',
  /** A namespace name is empty, not a string, or holds a lone UTF-16 surrogate. */
  E_INVALID_NAMESPACE: 'A namespace name is invalid',
  /** A value could not be serialized (a function, a symbol, a cycle under JSON...). */
  E_SERIALIZE: 'A value could not be serialized',
  /** Stored bytes could not be decoded (corrupt, truncated, foreign, unknown format). */
  E_DECODE: 'Stored bytes could not be decoded',
  /** `incr`/`decr`/`incrVersion` on a key that does not exist. */
  E_MISSING_KEY: 'The key does not exist',
  /** `incr`/`decr` on a value that is not an integer. */
  E_NOT_INTEGER: 'The stored value is not an integer',
  /** The store did not answer within the operation timeout. */
  E_TIMEOUT: 'The store did not answer within the operation timeout',
  /** The circuit breaker is open: the store failed repeatedly and is not being called. */
  E_CIRCUIT_OPEN: 'The circuit breaker is open; the store is not being called',
  /** The store failed (connection lost, refused, protocol error). */
  E_STORE: 'The store failed',
  /** Redis is out of memory (`maxmemory` reached with the `noeviction` policy). */
  E_STORE_OOM: 'The store is out of memory and refuses writes',
  /** The key holds a value of another Redis type (WRONGTYPE). */
  E_WRONG_TYPE: 'The key holds a value of another type',
  /** A Lua script failed on the server. */
  E_SCRIPT: 'A server-side script failed',
  /** The cache was closed. */
  E_CLOSED: 'The cache is closed',
  /** A `getOrSet` factory ran past its hard timeout and no stale value was at hand. */
  E_FACTORY_TIMEOUT: 'The factory did not finish within its hard timeout',
  /** A `getOrSet` factory threw while a stale value was at hand; the stale value was served. */
  E_FACTORY_FAILED: 'The factory failed and a stale value was served instead',
  /** The CDC listener cannot follow the database: `wal_level`, a privilege, the publication or the slot is missing. */
  E_CDC_SETUP: 'The CDC listener cannot follow the database (wal_level, privileges, publication or slot)',
  /** The SQL parser (libpg-query) is not installed, or was used before `loadSqlParser()` resolved. */
  E_SQL_PARSER: 'The SQL parser is not installed or not loaded',
  /**
   * A transaction committed, but its invalidation did not reach the store within
   * the bound; it stays journaled and is replayed, and other processes may read
   * the old rows from the cache until it lands.
   */
  E_INVALIDATION_PENDING: 'Committed, but the invalidation has not reached the store yet',
  /** A required argument is missing or of the wrong kind (`getOrSet` without a factory). */
  E_INVALID_ARGUMENT: 'A required argument is missing or of the wrong kind',
  /**
   * `incr`/`decr` on an integer stored with grace or tags: its envelope keeps
   * that meta, which an atomic increment of raw digits would drop. Store
   * counters without grace or tags (`grace: false`).
   */
  E_NOT_COUNTER: 'The stored integer carries grace or tags and cannot be incremented atomically',
  /**
   * A template tag (`{% cache %}` of `larder/nunjucks`) was given what it cannot
   * use: an unknown variable, a timeout that is not one, a vary value or tags
   * with no key form. The message names the expression.
   */
  E_TEMPLATE: 'A template tag got an unknown variable or an argument it cannot use',
  /**
   * The call needs what the store or the cache cannot give: an atomic
   * compare-and-set (`Store.compareAndSet`), or listing keys (`Store.scanKeys`,
   * and a cache with the default key function, not a namespace view).
   */
  E_UNSUPPORTED: 'The store cannot do what the call needs (an optional store method is missing)',
  /**
   * A session write lost the compare-and-set race more times than its retries
   * allow (another request of the same session kept writing in between).
   */
  E_SESSION_CONFLICT: 'A session write kept losing to concurrent writes of the same session',
  /**
   * A session could not be created or saved because its store failed or is
   * short-circuited (cache-only mode with the cache down); nothing was written.
   */
  E_SESSION_UNAVAILABLE: 'The session store is unavailable; the session was not saved',
} as const;

/** One of the stable error codes. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Warning codes, emitted with `process.emitWarning` once per code. */
export const WarningCodes = {
  /** A key would not be portable to memcached (too long, whitespace, control characters). */
  W_KEY: 'LARDER_W_KEY',
  /** The store failed and the cache degraded to a miss / no-op (logged once per burst). */
  W_DEGRADED: 'LARDER_W_DEGRADED',
  /**
   * More invalidations failed than the journal holds: they collapsed into one
   * clear of the cache's keys, and the process serves nothing from the store
   * until it lands.
   */
  W_JOURNAL_OVERFLOW: 'LARDER_W_JOURNAL_OVERFLOW',
  /** The cache closed with journaled invalidations that never reached the store. */
  W_JOURNAL_LOST: 'LARDER_W_JOURNAL_LOST',
  /**
   * The SQL wrapper could not read the cluster's system identifier
   * (`pg_control_system()` needs privileges) and names the database by server
   * address instead; pass `identity` to share tags with the CDC listener.
   */
  W_SQL_IDENTITY: 'LARDER_W_SQL_IDENTITY',
  /**
   * A cached computation read a tagged value from another cache (another
   * store or prefix): those tags' counters live elsewhere, so they are not
   * recorded as its dependencies (docs/tags.md, decision 0007).
   */
  W_FOREIGN_DEPENDENCY: 'LARDER_W_FOREIGN_DEPENDENCY',
  /**
   * A cached computation read more distinct tags than it may collect
   * (`MAX_COLLECTED_TAGS`, 256): its value is returned but not stored.
   */
  W_DEPENDENCY_LIMIT: 'LARDER_W_DEPENDENCY_LIMIT',
  /**
   * A session store refused a stored value, or could not reach its cache,
   * and nobody listens to its `error` event (logged once; listen for each).
   */
  W_SESSION: 'LARDER_W_SESSION',
} as const;

/** The base class of every Larder error. `code` is stable; `cause` holds the original error. */
export class LarderError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LarderError';
    this.code = code;
  }
}

/** True when `error` is a LarderError, optionally with the given code. */
export function isLarderError(error: unknown, code?: ErrorCode): error is LarderError {
  return error instanceof LarderError && (code === undefined || error.code === code);
}

/** Failures that come from the store (connection, timeout, breaker, server-side refusal). */
const STORE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_TIMEOUT',
  'E_CIRCUIT_OPEN',
  'E_STORE',
  'E_STORE_OOM',
  'E_WRONG_TYPE',
  'E_SCRIPT',
]);

/** True when the error is a store failure that the `degrade` policy turns into a miss or no-op. */
export function isStoreFailure(error: unknown): boolean {
  return !(error instanceof LarderError) || STORE_CODES.has(error.code);
}

const warned = new Set<string>();

/** Emit a process warning once per code for the life of the process. */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'LarderWarning', code });
}
