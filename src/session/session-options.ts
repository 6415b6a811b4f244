/**
 * The options of Larder's session stores (express-session and
 * @fastify/session), checked and resolved once.
 */
import type { LarderCache } from '../core/cache.js';
import { optionChecks } from '../core/option-checks.js';
import type { Cache, Clock, Duration } from '../core/types.js';
import { checkSessionSecret } from './session-key.js';
import type { SessionTablePool } from './session-table.js';

/** `cached_db` mode: Postgres keeps the sessions, the cache is their read path. */
export interface SessionDatabaseOptions {
  /** A `pg.Pool` (or anything with its `query`). Larder never closes it. */
  readonly pool: SessionTablePool;
  /** The table, optionally schema-qualified; create it with `store.setup()` or `sessionTableSql()`. @default 'larder_sessions' */
  readonly table?: string;
}

/** Options of a Larder session store. */
export interface SessionStoreOptions {
  /** The cache sessions live in (any store: Redis, tiered, memory); it needs `compareAndSet` (all three have it). */
  readonly cache: Cache;
  /**
   * At least 32 bytes: the key of the HMAC that turns a session id into its
   * store key, so that a key listing or a dump hands out no live id. Changing
   * it logs everybody out. Never shown in errors.
   */
  readonly secret: string | Buffer;
  /** `cached_db` mode when given: Postgres is the source of truth (docs/sessions.md). @default cache only */
  readonly database?: SessionDatabaseOptions;
  /** How long a session lives when its cookie has no expiry. @default '1d' */
  readonly ttl?: Duration;
  /**
   * How long a destroyed session's tombstone stays, refusing saves of the old
   * session still in flight: longer than your slowest request. @default '10m'
   */
  readonly tombstoneTtl?: Duration;
  /** The largest stored session, in bytes of JSON; a larger one is refused on save and on read. @default 262144 (256 KiB) */
  readonly maxBytes?: number;
  /**
   * How many times a save re-reads and re-applies its changes after losing a
   * compare-and-set race before failing with `E_SESSION_CONFLICT`. @default 32
   */
  readonly retries?: number;
  /**
   * A `touch` (express-session calls it on requests that change nothing)
   * writes only when it moves the stored expiry by at least this much; `0`
   * writes every touch. @default a tenth of the cookie's lifetime
   */
  readonly touchAfter?: Duration;
  /** The clock for expiry instants. @default Date */
  readonly clock?: Clock;
  /** Randomness for the jitter between save attempts, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The options resolved to plain numbers. */
export interface ResolvedSessionOptions {
  readonly cache: LarderCache;
  readonly secret: Buffer;
  readonly database: SessionDatabaseOptions | undefined;
  readonly ttlMs: number;
  readonly tombstoneTtlMs: number;
  readonly maxBytes: number;
  readonly retries: number;
  readonly touchAfterMs: number | undefined;
  readonly clock: Clock;
  readonly random: () => number;
}

const DAY_MS = 86_400_000;

/** Check and resolve the options of a session store. */
export function resolveSessionOptions(options: SessionStoreOptions, scope: string): ResolvedSessionOptions {
  const check = optionChecks(scope);
  if (typeof options !== 'object' || options === null) throw check.invalid('options', 'an object', options);
  const cache = options.cache as Partial<LarderCache> | undefined;
  if (cache === undefined || typeof cache.gets !== 'function' || typeof cache.compareAndSet !== 'function')
    throw check.invalid('cache', 'a Larder cache (createCache)', options.cache);
  const database = options.database;
  if (database !== undefined && (typeof database !== 'object' || typeof database?.pool?.query !== 'function'))
    throw check.invalid('database.pool', 'a pg.Pool (or anything with its query)', database?.pool);
  return Object.freeze({
    cache: cache as LarderCache,
    secret: checkSessionSecret(options.secret),
    database,
    ttlMs: check.duration('ttl', options.ttl, DAY_MS, 1),
    tombstoneTtlMs: check.duration('tombstoneTtl', options.tombstoneTtl, 600_000, 1),
    maxBytes: options.maxBytes === undefined ? 262_144 : check.integer('maxBytes', options.maxBytes, 64),
    retries: options.retries === undefined ? 32 : check.integer('retries', options.retries, 0),
    touchAfterMs:
      options.touchAfter === undefined ? undefined : check.duration('touchAfter', options.touchAfter, 0, 0),
    clock: options.clock ?? Date,
    random: options.random ?? Math.random,
  });
}
