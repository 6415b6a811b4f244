/**
 * Options of `cachedPool` / `cachedClient`, resolved once into a frozen object
 * (STYLE §5), and the per-query options a query config may carry in `larder`.
 */
import { resolveTtl } from '../core/duration.js';
import { optionChecks } from '../core/option-checks.js';
import type { Clock, Duration, Ttl } from '../core/types.js';
import type { DatabaseIdentity } from './table-tags.js';

/** Caching rules for one table. */
export interface TableCacheOptions {
  /** TTL of results that read this table (the shortest TTL among a query's tables wins). @default the wrapper's `ttl` */
  readonly ttl?: Ttl;
  /** Never cache a query that reads this table. @default false */
  readonly exclude?: boolean;
}

/** Options of `cachedPool` and `cachedClient`, set once. */
export interface CachedSqlOptions {
  /** TTL of cached results. @default the cache's `defaultTtl` */
  readonly ttl?: Ttl;
  /**
   * Rules per table, keyed `'schema.table'` (as Postgres stores the names: unquoted
   * names in lower case), or `'table'` for that name in any schema.
   * @example { 'public.sessions': { exclude: true }, 'public.prices': { ttl: '10s' } }
   */
  readonly tables?: Readonly<Record<string, TableCacheOptions>>;
  /**
   * Functions you vouch for: their result depends on their arguments alone. As
   * Postgres stores the names (unquoted → lower case): `'slugify'` allows
   * `slugify(…)` and `app.slugify(…)`, `'app.slugify'` only the qualified call.
   * Other functions the analyzer does not know are allowed only when every
   * overload is `IMMUTABLE` in `pg_proc` (looked up once per name). Never list
   * a function that reads tables: those tables would be hidden from invalidation.
   * @default []
   */
  readonly allowFunctions?: readonly string[];
  /** How many distinct SQL texts the parse cache keeps. @default the analyzer's */
  readonly maxParsedStatements?: number;
  /**
   * The database as the cache's tags name it. Discovered once when omitted
   * (`pg_control_system().system_identifier` + `current_database()`); give it when
   * the role may not call `pg_control_system()`. Must equal the CDC listener's.
   */
  readonly identity?: DatabaseIdentity;
  /**
   * Take the cluster-wide lease of `getOrSet` on a miss, so that one process runs
   * a cold query while the others wait for its result.
   * @default false (single flight per process only)
   */
  readonly lock?: boolean;
  /** How many query fingerprints `stats()` tracks; the rest count under `'(other)'`. @default 1000 */
  readonly maxFingerprints?: number;
  /**
   * How long catalog facts (which schema a name resolves to, a view's base
   * tables, a function's volatility) are trusted before they are read again;
   * DDL through the wrapper forgets them at once.
   * @default '60s'
   */
  readonly catalogTtl?: Duration;
  /** Time source for the catalog cache. @default Date */
  readonly clock?: Clock;
  /**
   * What a COMMIT (or a write outside a transaction) does when its invalidation
   * could not be stored: `'retry'` resolves and lets the cache replay it in the
   * background; `'wait'` waits up to `invalidationWait` for the replay, then
   * rejects with `E_INVALIDATION_PENDING` (the transaction did commit). See
   * docs/sql.md, "When the cache store fails at COMMIT".
   * @default 'retry'
   */
  readonly onInvalidationFailure?: InvalidationFailurePolicy;
  /**
   * With `onInvalidationFailure: 'wait'`, how long a statement whose
   * invalidation was journaled waits for the replay before it rejects.
   * @default '2s'
   */
  readonly invalidationWait?: Duration;
}

/** See `CachedSqlOptions.onInvalidationFailure`. */
export type InvalidationFailurePolicy = 'retry' | 'wait';

/** Per-query options: `pool.query({ text, values, larder: { skip: true } })`. */
export interface QueryCacheOptions {
  /** Run this query against the database, never the cache. */
  readonly skip?: boolean;
  /** Cache it even when it calls functions the wrapper cannot prove deterministic. */
  readonly force?: boolean;
  /** TTL of this query's result. */
  readonly ttl?: Ttl;
}

/** Where writes are invalidated: after COMMIT (correct), or before the statement (the naive version, tests only). */
export type InvalidationTiming = 'after-commit' | 'before-write';

/** The rules of one table, resolved. */
export interface ResolvedTableRule {
  /** TTL in ms (`null`: forever), or `undefined` for the wrapper's. */
  readonly ttlMs: number | null | undefined;
  readonly exclude: boolean;
}

/** Options resolved once: plain numbers, sets and maps. */
export interface ResolvedSqlOptions {
  /** TTL in ms, `null` for forever, `undefined` for the cache's default. */
  readonly ttlMs: number | null | undefined;
  /** Rules keyed `schema.table` or `table`. */
  readonly tables: ReadonlyMap<string, ResolvedTableRule>;
  readonly allowFunctions: readonly string[];
  readonly maxParsedStatements: number | undefined;
  readonly identity: DatabaseIdentity | undefined;
  readonly lock: boolean;
  readonly maxFingerprints: number;
  readonly catalogTtlMs: number;
  readonly clock: Clock;
  readonly invalidation: InvalidationTiming;
  readonly onInvalidationFailure: InvalidationFailurePolicy;
  readonly invalidationWaitMs: number;
}

/** Internal knobs that tests use to build the naive wrapper the correct one is compared with. */
export interface SqlInternals {
  readonly invalidation?: InvalidationTiming;
}

const DEFAULT_MAX_FINGERPRINTS = 1000;
const DEFAULT_CATALOG_TTL_MS = 60_000;
const DEFAULT_INVALIDATION_WAIT_MS = 2_000;

const check = optionChecks('larder/sql');

function positiveInteger(value: number | undefined, option: string): number | undefined {
  return value === undefined ? undefined : check.integer(option, value, 1);
}

function resolveTables(tables: CachedSqlOptions['tables']): Map<string, ResolvedTableRule> {
  const rules = new Map<string, ResolvedTableRule>();
  for (const [name, rule] of Object.entries(tables ?? {})) {
    if (name === '' || typeof rule !== 'object' || rule === null) {
      throw check.invalid(`tables[${JSON.stringify(name)}]`, 'an object { ttl?, exclude? }', rule);
    }
    const ttlMs =
      rule.ttl === undefined ? undefined : resolveTtl(rule.ttl, null, `tables.${name}.ttl`, 'larder/sql');
    rules.set(name, { ttlMs, exclude: rule.exclude === true });
  }
  return rules;
}

function resolveIdentity(identity: DatabaseIdentity | undefined): DatabaseIdentity | undefined {
  if (identity === undefined) return undefined;
  if (
    typeof identity.systemId !== 'string' ||
    identity.systemId === '' ||
    typeof identity.database !== 'string'
  ) {
    throw check.invalid('identity', '{ systemId: non-empty string, database: string }', identity);
  }
  return Object.freeze({ systemId: identity.systemId, database: identity.database });
}

/** Validate and freeze the wrapper's options. Throws `E_INVALID_OPTION` naming the option. */
export function resolveSqlOptions(
  options: CachedSqlOptions | undefined,
  internals: SqlInternals = {},
): ResolvedSqlOptions {
  const given = options ?? {};
  const allow = given.allowFunctions ?? [];
  if (!Array.isArray(allow) || allow.some((name) => typeof name !== 'string' || name === '')) {
    throw check.invalid('allowFunctions', 'an array of function names', allow);
  }
  return Object.freeze({
    ttlMs: given.ttl === undefined ? undefined : resolveTtl(given.ttl, null, 'ttl', 'larder/sql'),
    tables: resolveTables(given.tables),
    allowFunctions: Object.freeze([...allow]),
    maxParsedStatements: positiveInteger(given.maxParsedStatements, 'maxParsedStatements'),
    identity: resolveIdentity(given.identity),
    lock: given.lock === true,
    maxFingerprints: positiveInteger(given.maxFingerprints, 'maxFingerprints') ?? DEFAULT_MAX_FINGERPRINTS,
    catalogTtlMs: check.duration('catalogTtl', given.catalogTtl, DEFAULT_CATALOG_TTL_MS, 0),
    clock: given.clock ?? Date,
    invalidation: internals.invalidation ?? 'after-commit',
    onInvalidationFailure: check.oneOf('onInvalidationFailure', given.onInvalidationFailure ?? 'retry', [
      'retry',
      'wait',
    ] as const),
    invalidationWaitMs: check.duration(
      'invalidationWait',
      given.invalidationWait,
      DEFAULT_INVALIDATION_WAIT_MS,
      0,
    ),
  });
}
