/**
 * Options resolved once, in layers: library defaults → cache options → per call.
 * Everything downstream reads plain numbers in milliseconds from frozen objects.
 */
import { type Compressor, createCompressor } from './compression.js';
import { resolveTtl } from './duration.js';
import type { Codec } from './envelope.js';
import { LarderError } from './errors.js';
import { jsonSerializer } from './json-serializer.js';
import { defaultKeyFunction } from './keys.js';
import type { Store } from './store.js';
import type {
  CacheOptions,
  Clock,
  EntryOptions,
  ErrorPolicy,
  KeyFunction,
  KeyValidation,
  Logger,
  Serializer,
} from './types.js';

/** Library defaults. */
export const DEFAULTS = Object.freeze({
  prefix: 'larder',
  version: 1,
  defaultTtlMs: 300_000,
  timeoutMs: 100,
  failureThreshold: 5,
  openMs: 1000,
  compressionThresholdBytes: 1024,
});

/** Cache options after defaults and validation. */
export interface ResolvedOptions {
  readonly store: Store;
  readonly prefix: string;
  readonly version: number;
  readonly defaultTtlMs: number | null;
  readonly onError: ErrorPolicy;
  readonly timeoutMs: number;
  readonly breaker: { readonly failureThreshold: number; readonly openMs: number } | undefined;
  readonly keyValidation: KeyValidation;
  readonly keyFunction: KeyFunction;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly codec: Codec;
  /** The entry options of a call that overrides nothing. */
  readonly defaultEntry: ResolvedEntry;
}

/** Per-call options after resolution: 0 ms means "do not store", `null` never expires. */
export interface ResolvedEntry {
  readonly ttlMs: number | null;
  readonly version: number;
}

/** Serializers a cache can be configured with by name (msgpack is supplied by the package entry). */
export type SerializerRegistry = Readonly<Record<string, Serializer>>;

const consoleLogger: Logger = {
  warn: (message, details) => console.warn(`[larder] ${message}`, details ?? ''),
};
const systemClock: Clock = { now: () => Date.now() };

/** Validate and freeze cache options. Throws `E_INVALID_OPTION` naming the option. */
export function resolveOptions(options: CacheOptions, registry: SerializerRegistry): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const store = options.store;
  if (typeof store?.get !== 'function' || typeof store.set !== 'function')
    throw invalid('store', 'a Store (memoryStore(), redisStore(), ...)', store);
  const prefix = options.prefix ?? DEFAULTS.prefix;
  if (typeof prefix !== 'string' || prefix.length === 0)
    throw invalid('prefix', 'a non-empty string', prefix);
  const version = integer('version', options.version ?? DEFAULTS.version);
  const defaultTtlMs = resolveTtl(options.defaultTtl, DEFAULTS.defaultTtlMs, 'defaultTtl');
  if (defaultTtlMs === 0) throw invalid('defaultTtl', "a positive duration or 'forever'", options.defaultTtl);
  const onError = oneOf('onError', options.onError ?? 'degrade', ['degrade', 'throw'] as const);
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULTS.timeoutMs);
  const breaker =
    options.breaker === false
      ? undefined
      : Object.freeze({
          failureThreshold: integer(
            'breaker.failureThreshold',
            options.breaker?.failureThreshold ?? DEFAULTS.failureThreshold,
            1,
          ),
          openMs: positive('breaker.openMs', options.breaker?.openMs ?? DEFAULTS.openMs),
        });
  const keyValidation = oneOf('keyValidation', options.keyValidation ?? 'warn', [
    'warn',
    'error',
    'off',
  ] as const);
  const keyFunction = options.keyFunction ?? defaultKeyFunction;
  if (typeof keyFunction !== 'function')
    throw invalid('keyFunction', 'a function (key, prefix, version) => string', keyFunction);
  return Object.freeze({
    store,
    prefix,
    version,
    defaultTtlMs,
    onError,
    timeoutMs,
    breaker,
    keyValidation,
    keyFunction,
    logger: options.logger ?? consoleLogger,
    clock: options.clock ?? systemClock,
    codec: resolveCodec(options, registry),
    defaultEntry: Object.freeze({ ttlMs: defaultTtlMs, version }),
  });
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
    throw invalid('serializer', `'msgpack', 'json' or a Serializer`, choice);
  }
  if (!Number.isInteger(serializer.id) || serializer.id < 1 || serializer.id > 15)
    throw invalid('serializer.id', 'an integer from 1 to 15', serializer.id);
  // Every built-in reader stays available, so entries written under an older setting still read.
  const serializers = new Map<number, Serializer>();
  for (const each of Object.values(known)) serializers.set(each.id, each);
  serializers.set(serializer.id, serializer);
  const compression = options.compression ?? {
    algorithm: 'gzip',
    thresholdBytes: DEFAULTS.compressionThresholdBytes,
  };
  if (compression !== false) {
    oneOf('compression.algorithm', compression.algorithm, ['gzip', 'deflate', 'brotli'] as const);
    if (compression.thresholdBytes !== undefined)
      integer('compression.thresholdBytes', compression.thresholdBytes, 0);
  }
  const compressor: Compressor | undefined = createCompressor(compression);
  const dictionary = compression === false ? undefined : compression.dictionary;
  const standaloneBuffers = options.store.sharesBuffers === true;
  return Object.freeze({ serializer, serializers, compressor, dictionary, standaloneBuffers });
}

/** Resolve one call's options; returns the shared default object when nothing is overridden. */
export function resolveEntry(options: EntryOptions | undefined, resolved: ResolvedOptions): ResolvedEntry {
  if (options === undefined || (options.ttl === undefined && options.version === undefined))
    return resolved.defaultEntry;
  return {
    ttlMs: resolveTtl(options.ttl, resolved.defaultTtlMs),
    version: options.version === undefined ? resolved.version : integer('version', options.version),
  };
}

/** The version of a read call. */
export function resolveVersion(
  options: { readonly version?: number } | undefined,
  resolved: ResolvedOptions,
): number {
  return options?.version === undefined ? resolved.version : integer('version', options.version);
}

function integer(option: string, value: unknown, min = Number.MIN_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || (value as number) < min)
    throw invalid(option, min > Number.MIN_SAFE_INTEGER ? `an integer >= ${min}` : 'an integer', value);
  return value as number;
}

function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw invalid(option, 'a positive number of milliseconds', value);
  return value;
}

function oneOf<const T extends readonly string[]>(option: string, value: unknown, allowed: T): T[number] {
  if (!allowed.includes(value as string))
    throw invalid(option, allowed.map((a) => `'${a}'`).join(' or '), value);
  return value as T[number];
}

function invalid(option: string, expected: string, got: unknown): LarderError {
  let shown: string;
  try {
    shown = typeof got === 'function' ? 'a function' : (JSON.stringify(got) ?? String(got));
  } catch {
    shown = String(got);
  }
  return new LarderError('E_INVALID_OPTION', `option "${option}" must be ${expected} (got ${shown})`);
}
