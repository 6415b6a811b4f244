/**
 * Options resolved once, in layers: library defaults → cache options → per call.
 * Everything downstream reads plain numbers in milliseconds from frozen objects.
 */
import { type Compressor, createCompressor } from './compression.js';
import { MAX_TTL_MS, resolveTtl } from './duration.js';
import { type Codec, MAX_TAGS } from './envelope.js';
import { ShownAs } from './invalid-option.js';
import { jsonSerializer } from './json-serializer.js';
import { defaultKeyFunction, hasLoneSurrogate } from './keys.js';
import { type OptionChecks, optionChecks } from './option-checks.js';
import type { Store, StoreHints } from './store.js';
import { type InternalGetOrSetOptions, STORE_IN_BACKGROUND } from './store-in-background.js';
import type {
  CacheOptions,
  Clock,
  Duration,
  EntryOptions,
  ErrorPolicy,
  FactoryTimeouts,
  GetOrSetOptions,
  KeyFunction,
  KeyValidation,
  Logger,
  LoggerOption,
  Serializer,
} from './types.js';

/** Library defaults. */
export const DEFAULTS = Object.freeze({
  prefix: 'larder',
  version: 1,
  defaultTtlMs: 300_000,
  storeTimeoutMs: 100,
  failureThreshold: 5,
  openMs: 1000,
  compressionThresholdBytes: 1024,
  /** With a store that renews leases (see Store.renewLease); without, the TTL must outlast a factory. */
  lockTtlMs: 2_000,
  lockTtlWithoutRenewalMs: 10_000,
  lockWaitMs: 3_000,
  maxJournalMembers: 100_000,
  failSafeBackoffMs: 5_000,
  beta: 1,
  maxValueBytes: 16 * 1024 * 1024,
});

/** The longest tag name, in UTF-16 code units. */
const MAX_TAG_LENGTH = 250;

/** Cache options after defaults and validation. */
export interface ResolvedOptions {
  readonly store: Store;
  readonly prefix: string;
  readonly version: number;
  readonly defaultTtlMs: number | null;
  readonly onError: ErrorPolicy;
  /** The deadline of one store call. */
  readonly storeTimeoutMs: number;
  /** The operation timeout of invalidations and their replays. */
  readonly invalidationTimeoutMs: number;
  /** The most journaled keys, tags and prefixes before they collapse into one clear. */
  readonly maxJournalMembers: number;
  readonly breaker: { readonly failureThreshold: number; readonly openMs: number } | undefined;
  readonly keyValidation: KeyValidation;
  readonly keyFunction: KeyFunction;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly codec: Codec;
  readonly random: () => number;
  /** The cluster-wide lease of getOrSet, or `undefined` when off. */
  readonly lock: { readonly ttlMs: number; readonly waitMs: number } | undefined;
  readonly failSafeBackoffMs: number;
  readonly waitUntil: ((work: Promise<unknown>) => void) | undefined;
  /** The entry options of a call that overrides nothing. */
  readonly defaultEntry: ResolvedEntry;
  /** The getOrSet options of a call that overrides nothing. */
  readonly defaultGetOrSet: ResolvedGetOrSet;
}

/** Per-call options after resolution: 0 ms means "do not store", `null` never expires. */
export interface ResolvedEntry {
  readonly ttlMs: number | null;
  readonly version: number;
  /** Grace past the TTL; 0 for none. */
  readonly graceMs: number;
  /** Distinct tags, or `undefined` for an untagged entry. */
  readonly tags: readonly string[] | undefined;
  /** Tier hints for the store, or `undefined` when the call gave none. */
  readonly hints: StoreHints | undefined;
}

/** getOrSet's options after resolution. */
export interface ResolvedGetOrSet extends ResolvedEntry {
  readonly lock: boolean;
  /** 0: serve a stale value at once. */
  readonly softMs: number;
  /** `undefined`: no hard limit. */
  readonly hardMs: number | undefined;
  readonly beta: number;
  /** Resolve callers with the computed value before it is stored (see store-in-background.ts). */
  readonly storeInBackground: boolean;
  /** Run the factory in a dependency scope (dependency-scope.ts). */
  readonly collect: boolean;
}

/** Serializers a cache can be configured with by name (msgpack is supplied by the package entry). */
export type SerializerRegistry = Readonly<Record<string, Serializer>>;

const consoleLogger: Logger = {
  warn: (message, details) => console.warn(`[larder] ${message}`, details ?? ''),
};
const systemClock: Clock = { now: () => Date.now() };

/** Checks of the options given to `createCache`. */
const cacheChecks = optionChecks('createCache');
/** Checks of the options given to one call (`set`, `getOrSet`…). */
const callChecks = optionChecks();

/**
 * The `Logger` core calls for a `logger` option: an object with a `warn`
 * method as it is, a function wrapped as `warn`. Checked here, at creation,
 * because a bad logger would otherwise throw only on the first degraded failure,
 * from inside the path that was supposed to degrade. `checks` name the function
 * it was given to (the cache, the CDC listener).
 */
export function resolveLogger(logger: LoggerOption, checks: OptionChecks): Logger {
  if (typeof logger === 'function') return { warn: (message, details) => logger(message, details) };
  if (typeof logger === 'object' && logger !== null && typeof logger.warn === 'function') return logger;
  throw checks.invalid('logger', 'an object with a warn(message, details) method, or a function', logger);
}

/** Validate and freeze cache options. Throws `E_INVALID_OPTION` naming the option. */
export function resolveOptions(options: CacheOptions, registry: SerializerRegistry): ResolvedOptions {
  const check = cacheChecks;
  if (typeof options !== 'object' || options === null) throw check.invalid('options', 'an object', options);
  const store = options.store;
  if (typeof store?.get !== 'function' || typeof store.set !== 'function')
    throw check.invalid('store', 'a Store (memoryStore(), redisStore(), ...)', store);
  const prefix = checkPrefix(options.prefix ?? DEFAULTS.prefix);
  const version = check.integer('version', options.version ?? DEFAULTS.version);
  const defaultTtlMs = resolveTtl(options.defaultTtl, DEFAULTS.defaultTtlMs, 'defaultTtl', 'createCache');
  if (defaultTtlMs === 0)
    throw check.invalid('defaultTtl', "a positive duration or 'forever'", options.defaultTtl);
  const onError = check.oneOf('onError', options.onError ?? 'degrade', ['degrade', 'throw'] as const);
  const storeTimeoutMs = check.duration('storeTimeout', options.storeTimeout, DEFAULTS.storeTimeoutMs, 1);
  const invalidationTimeoutMs = check.duration(
    'invalidationTimeout',
    options.invalidationTimeout,
    storeTimeoutMs,
    1,
  );
  const maxJournalMembers = check.integer(
    'maxJournalMembers',
    options.maxJournalMembers ?? DEFAULTS.maxJournalMembers,
    1,
  );
  const breaker =
    options.breaker === false
      ? undefined
      : Object.freeze({
          failureThreshold: check.integer(
            'breaker.failureThreshold',
            options.breaker?.failureThreshold ?? DEFAULTS.failureThreshold,
            1,
          ),
          openMs: check.duration('breaker.halfOpenAfter', options.breaker?.halfOpenAfter, DEFAULTS.openMs, 1),
        });
  const keyValidation = check.oneOf('keyValidation', options.keyValidation ?? 'warn', [
    'warn',
    'error',
    'off',
  ] as const);
  const keyFunction = check.callable<KeyFunction>(
    'keyFunction',
    options.keyFunction ?? defaultKeyFunction,
    'a function (key, prefix, version) => string',
  );
  const random = check.callable<() => number>(
    'random',
    options.random ?? Math.random,
    'a function returning [0, 1)',
  );
  const waitUntil =
    options.waitUntil === undefined
      ? undefined
      : check.callable<(work: Promise<unknown>) => void>(
          'waitUntil',
          options.waitUntil,
          'a function (promise) => void',
        );
  const lock =
    options.lock === false
      ? undefined
      : Object.freeze({
          ttlMs: check.duration(
            'lock.ttl',
            options.lock?.ttl,
            store.renewLease === undefined ? DEFAULTS.lockTtlWithoutRenewalMs : DEFAULTS.lockTtlMs,
            1,
            MAX_TTL_MS,
          ),
          waitMs: check.duration('lock.wait', options.lock?.wait, DEFAULTS.lockWaitMs, 0),
        });
  const defaultEntry: ResolvedEntry = Object.freeze({
    ttlMs: defaultTtlMs,
    version,
    graceMs: grace(check, options.grace, 0),
    tags: undefined,
    hints: undefined,
  });
  const timeouts = resolveTimeouts(check, options.timeout, 0, undefined);
  const defaultGetOrSet: ResolvedGetOrSet = Object.freeze({
    ...defaultEntry,
    lock: lock !== undefined,
    ...timeouts,
    beta: beta(check, options.beta, DEFAULTS.beta),
    storeInBackground: false,
    collect: true,
  });
  return Object.freeze({
    store,
    prefix,
    version,
    defaultTtlMs,
    onError,
    storeTimeoutMs,
    invalidationTimeoutMs,
    maxJournalMembers,
    breaker,
    keyValidation,
    keyFunction,
    logger: options.logger === undefined ? consoleLogger : resolveLogger(options.logger, check),
    clock: options.clock ?? systemClock,
    codec: resolveCodec(options, registry),
    random,
    lock,
    failSafeBackoffMs: check.duration(
      'failSafeBackoff',
      options.failSafeBackoff,
      DEFAULTS.failSafeBackoffMs,
      0,
    ),
    waitUntil,
    defaultEntry,
    defaultGetOrSet,
  });
}

/**
 * A prefix is non-empty and holds none of the separators `:`, `/`, `#`: the
 * cache's keyspace is `prefix:`, `prefix/` and `prefix#` (see keyspacePrefixes),
 * so a prefix `P:x`, `P/x` or `P#x` would put a cache inside `P`'s keyspace,
 * and `clear()` on `P` would delete its keys. Without separators, no keyspace
 * starts inside another's. Lone surrogates are refused as in keys (keys.ts).
 */
function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0 || /[:/#]/.test(prefix) || hasLoneSurrogate(prefix))
    throw cacheChecks.invalid(
      'prefix',
      "a non-empty string without ':', '/', '#' or lone surrogates",
      prefix,
    );
  return prefix;
}

function resolveCodec(options: CacheOptions, registry: SerializerRegistry): Codec {
  const known: SerializerRegistry = { json: jsonSerializer(), ...registry };
  const choice = options.serializer ?? ('msgpack' in known ? 'msgpack' : 'json');
  const serializer = typeof choice === 'string' ? known[choice] : choice;
  if (
    serializer === undefined ||
    typeof serializer.serialize !== 'function' ||
    typeof serializer.deserialize !== 'function'
  ) {
    throw cacheChecks.invalid('serializer', `'msgpack', 'json' or a Serializer`, choice);
  }
  if (!Number.isInteger(serializer.id) || serializer.id < 1 || serializer.id > 15)
    throw cacheChecks.invalid('serializer.id', 'an integer from 1 to 15', serializer.id);
  // Every built-in reader stays available, so entries written under an older setting still read.
  const serializers = new Map<number, Serializer>();
  for (const each of Object.values(known)) serializers.set(each.id, each);
  serializers.set(serializer.id, serializer);
  const compression = options.compression ?? {
    algorithm: 'gzip',
    thresholdBytes: DEFAULTS.compressionThresholdBytes,
  };
  if (compression !== false) {
    cacheChecks.oneOf('compression.algorithm', compression.algorithm, ['gzip', 'deflate', 'brotli'] as const);
    if (compression.thresholdBytes !== undefined)
      cacheChecks.integer('compression.thresholdBytes', compression.thresholdBytes, 0);
    if (compression.dictionary !== undefined && compression.algorithm !== 'deflate')
      throw cacheChecks.invalid(
        'compression.dictionary',
        "left out unless compression.algorithm is 'deflate'",
        new ShownAs(`a dictionary with algorithm '${compression.algorithm}'`),
      );
  }
  const compressor: Compressor | undefined = createCompressor(compression);
  const dictionary = compression === false ? undefined : compression.dictionary;
  const standaloneBuffers = options.store.sharesBuffers === true;
  const maxValueBytes = cacheChecks.integer(
    'maxValueBytes',
    options.maxValueBytes ?? DEFAULTS.maxValueBytes,
    1,
  );
  return Object.freeze({ serializer, serializers, compressor, dictionary, standaloneBuffers, maxValueBytes });
}

/** Resolve one call's options; returns the shared default object when nothing is overridden. */
export function resolveEntry(options: EntryOptions | undefined, resolved: ResolvedOptions): ResolvedEntry {
  if (options === undefined) return resolved.defaultEntry;
  const base = resolved.defaultEntry;
  if (
    options.ttl === undefined &&
    options.version === undefined &&
    options.grace === undefined &&
    options.tags === undefined &&
    options.tiers === undefined
  )
    return base;
  return {
    ttlMs: resolveTtl(options.ttl, resolved.defaultTtlMs),
    version:
      options.version === undefined ? resolved.version : callChecks.integer('version', options.version),
    graceMs: options.grace === undefined ? base.graceMs : grace(callChecks, options.grace, 0),
    tags: resolveTags(options.tags),
    hints: resolveHints(options.tiers),
  };
}

/** Resolve a getOrSet call's options; the shared default object when nothing is overridden. */
export function resolveGetOrSet(
  options: GetOrSetOptions | undefined,
  resolved: ResolvedOptions,
): ResolvedGetOrSet {
  const fallback = resolved.defaultGetOrSet;
  if (options === undefined) return fallback;
  // A frozen options object cannot change, so its resolution is reused (callers
  // such as the SQL wrapper build one per statement and pass it on every hit).
  const frozen = Object.isFrozen(options);
  if (frozen) {
    const known = resolvedCalls.get(options)?.get(resolved);
    if (known !== undefined) return known;
  }
  const result = resolveGetOrSetFresh(options, resolved, fallback);
  if (frozen) {
    let byCache = resolvedCalls.get(options);
    if (byCache === undefined) {
      byCache = new WeakMap();
      resolvedCalls.set(options, byCache);
    }
    byCache.set(resolved, result);
  }
  return result;
}

/** Resolutions of frozen getOrSet options, per cache (a frozen object may serve several caches). */
const resolvedCalls = new WeakMap<GetOrSetOptions, WeakMap<ResolvedOptions, ResolvedGetOrSet>>();

function resolveGetOrSetFresh(
  options: GetOrSetOptions,
  resolved: ResolvedOptions,
  fallback: ResolvedGetOrSet,
): ResolvedGetOrSet {
  const entry = resolveEntry(options, resolved);
  if (
    entry === resolved.defaultEntry &&
    options.lock === undefined &&
    options.timeout === undefined &&
    options.beta === undefined &&
    options.collectDependencies === undefined &&
    (options as InternalGetOrSetOptions)[STORE_IN_BACKGROUND] === undefined
  )
    return fallback;
  const timeouts =
    options.timeout === undefined
      ? fallback
      : resolveTimeouts(callChecks, options.timeout, fallback.softMs, fallback.hardMs);
  // Field by field, not spread: spreading objects of several shapes took ~10% of a tagged getOrSet hit.
  return {
    ttlMs: entry.ttlMs,
    version: entry.version,
    graceMs: entry.graceMs,
    tags: entry.tags,
    hints: entry.hints,
    lock: options.lock === false ? false : fallback.lock,
    softMs: timeouts.softMs,
    hardMs: timeouts.hardMs,
    beta: options.beta === undefined ? fallback.beta : beta(callChecks, options.beta, fallback.beta),
    storeInBackground: (options as InternalGetOrSetOptions)[STORE_IN_BACKGROUND] === true,
    collect: callChecks.flag('collectDependencies', options.collectDependencies, true),
  };
}

/** The version and tier hints of a read call. */
export function resolveHints(
  tiers: { readonly l1?: boolean; readonly l2?: boolean } | undefined,
): StoreHints | undefined {
  if (tiers === undefined) return undefined;
  if (typeof tiers !== 'object' || tiers === null)
    throw callChecks.invalid('tiers', '{ l1?: boolean, l2?: boolean }', tiers);
  if (tiers.l1 === false && tiers.l2 === false) throw callChecks.invalid('tiers', 'at least one tier', tiers);
  return tiers.l1 === false ? { skipL1: true } : tiers.l2 === false ? { skipL2: true } : undefined;
}

function resolveTags(tags: readonly string[] | undefined): readonly string[] | undefined {
  if (tags === undefined) return undefined;
  if (!Array.isArray(tags)) throw callChecks.invalid('tags', 'an array of strings', tags);
  const unique = [...new Set(tags)];
  if (unique.length > MAX_TAGS)
    throw callChecks.invalid('tags', `at most ${MAX_TAGS} tags`, new ShownAs(`${unique.length} tags`));
  for (const tag of unique) checkTag(tag);
  return unique.length === 0 ? undefined : Object.freeze(unique);
}

/** Validate one tag name. Throws `E_INVALID_OPTION`. */
export function checkTag(tag: unknown): asserts tag is string {
  // A lone surrogate would share its counter with other tags once the store writes UTF-8.
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH || hasLoneSurrogate(tag))
    throw callChecks.invalid(
      'tags',
      `non-empty strings of at most ${MAX_TAG_LENGTH} characters without lone surrogates`,
      tag,
    );
}

function resolveTimeouts(
  check: OptionChecks,
  timeout: FactoryTimeouts | undefined,
  softMs: number,
  hardMs: number | undefined,
): { readonly softMs: number; readonly hardMs: number | undefined } {
  if (timeout === undefined) return { softMs, hardMs };
  if (typeof timeout !== 'object' || timeout === null)
    throw check.invalid('timeout', '{ soft?: Duration, hard?: Duration | null }', timeout);
  return {
    softMs: check.duration('timeout.soft', timeout.soft, softMs, 0),
    hardMs:
      timeout.hard === null
        ? undefined
        : timeout.hard === undefined
          ? hardMs
          : check.duration('timeout.hard', timeout.hard, 0, 1),
  };
}

/** Grace is added to the TTL the store gets, so it has the TTL's limit. */
function grace(check: OptionChecks, value: Duration | false | undefined, fallback: number): number {
  if (value === false) return 0;
  return check.duration('grace', value, fallback, 0, MAX_TTL_MS);
}

function beta(check: OptionChecks, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))
    throw check.invalid('beta', 'a number >= 0', value);
  return value;
}

/** The version of a read call. */
export function resolveVersion(
  options: { readonly version?: number } | undefined,
  resolved: ResolvedOptions,
): number {
  return options?.version === undefined ? resolved.version : callChecks.integer('version', options.version);
}
