/** Options of the CDC listener, their defaults and their validation. */
import type pg from 'pg';
import type { BackoffDelays } from '../../core/backoff.js';
import { optionChecks } from '../../core/option-checks.js';
import { resolveLogger } from '../../core/options.js';
import type { BackoffOptions, Cache, Clock, Duration, Logger, LoggerOption } from '../../core/types.js';
import type { DatabaseIdentity } from '../table-tags.js';
import type { RelationName } from './transaction-collector.js';

/** Options of `createCdcListener`. */
export interface CdcListenerOptions {
  /** The cache whose SQL entries external writes invalidate: the one given to `cachedPool`. */
  readonly cache: Cache;
  /**
   * How to reach Postgres: a connection string or a node-postgres client config.
   * The listener opens a replication connection and a normal one with it; the
   * role needs the `REPLICATION` attribute (see docs/sql-cdc.md).
   */
  readonly connection: string | pg.ClientConfig;
  /**
   * The database as the cache's tags name it; must equal the wrapper's `identity`.
   * @default queried: `pg_control_system().system_identifier` and `current_database()`
   */
  readonly identity?: DatabaseIdentity;
  /**
   * The durable logical replication slot (lower-case letters, digits and `_`).
   * One slot per cache: two listeners on one slot take turns, never share.
   * @default 'larder'
   */
  readonly slot?: string;
  /** The publication that decides which tables are followed. @default 'larder' */
  readonly publication?: string;
  /**
   * The tables of the publication when the listener creates it: `'all'` for
   * `FOR ALL TABLES` (needs a superuser), or `schema.table` names / `{ schema,
   * table }` for `FOR TABLE` (needs ownership). An existing publication is used as it is.
   * @default 'all'
   */
  readonly tables?: 'all' | readonly (string | RelationName)[];
  /**
   * Create the publication and the slot when they are missing (and re-create
   * an invalidated slot). `false`: fail with `E_CDC_SETUP` instead.
   * @default true
   */
  readonly create?: boolean;
  /**
   * Where the full invalidations and connection trouble are reported: an object
   * with `warn(message, details)` or a function `(message, details) => void`.
   * @default console.warn
   */
  readonly logger?: LoggerOption;
  /** Time source, for the lag in milliseconds. @default Date */
  readonly clock?: Clock;
  /**
   * How often a status update tells the server our position and asks for a
   * reply; with no message from the server for six intervals, the connection
   * is taken for dead and re-opened.
   * @default '10s'
   */
  readonly statusInterval?: Duration;
  /**
   * Backoff of reconnections and of failed bumps: from the first delay, doubling to the max.
   * @default { initialDelay: 100, maxDelay: '10s' }
   */
  readonly retry?: BackoffOptions;
  /**
   * How often the lag is published on `larder:sql:cdc-lag`, while someone
   * subscribes (each publication costs one query).
   * @default '10s'
   */
  readonly lagInterval?: Duration;
}

/** The options after defaults and validation. */
export interface ResolvedCdcOptions {
  readonly cache: Cache;
  readonly connection: pg.ClientConfig;
  readonly identity: DatabaseIdentity | undefined;
  readonly slot: string;
  readonly publication: string;
  readonly tables: 'all' | readonly RelationName[];
  readonly create: boolean;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly statusIntervalMs: number;
  /** Backoff of reconnections and bumps (no jitter). */
  readonly retry: BackoffDelays;
  readonly lagIntervalMs: number;
}

const consoleLogger: Logger = {
  warn: (message, details) => console.warn(`[larder] ${message}`, details ?? ''),
};
const systemClock: Clock = { now: () => Date.now() };

const check = optionChecks('createCdcListener');

function relationName(entry: string | RelationName): RelationName {
  if (typeof entry !== 'string') return entry;
  const dot = entry.indexOf('.');
  if (dot <= 0 || dot === entry.length - 1)
    throw check.invalid('tables', "'all' or 'schema.table' names", entry);
  return { schema: entry.slice(0, dot), table: entry.slice(dot + 1) };
}

/** Apply defaults and validate. Throws `E_INVALID_OPTION` naming the option. */
export function resolveCdcOptions(options: CdcListenerOptions): ResolvedCdcOptions {
  if (typeof options.cache?.invalidateTags !== 'function')
    throw check.invalid('cache', 'a larder Cache', options.cache);
  const slot = options.slot ?? 'larder';
  // Postgres's own rule for slot names; checking here gives the error before any connection.
  if (!/^[a-z0-9_]{1,63}$/.test(slot)) throw check.invalid('slot', "1 to 63 of 'a'-'z', '0'-'9', '_'", slot);
  const publication = options.publication ?? 'larder';
  if (publication.length === 0 || publication.length > 63)
    throw check.invalid('publication', 'a name of 1 to 63 characters', publication);
  const tables = options.tables ?? 'all';
  if (tables !== 'all' && (!Array.isArray(tables) || tables.length === 0))
    throw check.invalid('tables', "'all' or a non-empty list of tables", tables);
  const given =
    typeof options.connection === 'string' ? { connectionString: options.connection } : options.connection;
  if (typeof given !== 'object' || given === null)
    throw check.invalid('connection', 'a connection string or a pg client config', options.connection);
  // Named, so that pg_stat_activity and pg_stat_replication show who holds the slot.
  const connection: pg.ClientConfig = { application_name: 'larder-cdc', ...given };
  const first = check.duration('retry.initialDelay', options.retry?.initialDelay, 100, 1);
  return Object.freeze({
    cache: options.cache,
    connection,
    identity: options.identity,
    slot,
    publication,
    tables: tables === 'all' ? 'all' : Object.freeze(tables.map(relationName)),
    create: options.create ?? true,
    logger: options.logger === undefined ? consoleLogger : resolveLogger(options.logger, check),
    clock: options.clock ?? systemClock,
    statusIntervalMs: check.duration('statusInterval', options.statusInterval, 10_000, 1),
    retry: Object.freeze({
      initialDelayMs: first,
      maxDelayMs: Math.max(first, check.duration('retry.maxDelay', options.retry?.maxDelay, 10_000, 1)),
    }),
    lagIntervalMs: check.duration('lagInterval', options.lagInterval, 10_000, 1),
  });
}
