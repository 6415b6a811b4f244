/**
 * What a cache and its namespace views share, and the failure policy they apply:
 * decoding stored bytes (a corrupt entry is a reported miss), degrade vs throw,
 * and logging store failures once per window.
 */

import { deepFreeze } from './deep-freeze.js';
import type { DecodedEntry } from './envelope.js';
import { decodeEntry } from './envelope.js';
import { type ErrorCode, isStoreFailure, type LarderError, WarningCodes } from './errors.js';
import { CacheEventHub } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { Store } from './store.js';
import { type Counters, StoreGuard, toLarderError } from './store-guard.js';

/** What a cache and all its namespace views share. */
export interface Shared {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly guard: StoreGuard;
  readonly counters: Counters;
  readonly events: CacheEventHub;
  /** Decoded, frozen entries by the buffer a sharing store returned (see Store.sharesBuffers). */
  readonly decoded: WeakMap<Uint8Array, DecodedEntry> | undefined;
  closed: boolean;
  loggedAt: number;
  suppressed: number;
}

/** Degraded failures are logged at most once per window; the rest are counted. */
const LOG_WINDOW_MS = 10_000;

/** Create the shared state of a new cache. */
export function createShared(options: ResolvedOptions): Shared {
  const counters: Counters = {
    hits: 0,
    misses: 0,
    sets: 0,
    deletes: 0,
    errors: 0,
    shortCircuited: 0,
    timeouts: 0,
  };
  return {
    options,
    store: options.store,
    guard: new StoreGuard(options, counters),
    counters,
    events: new CacheEventHub(options.prefix),
    decoded: options.store.sharesBuffers === true ? new WeakMap() : undefined,
    closed: false,
    loggedAt: Number.NEGATIVE_INFINITY,
    suppressed: 0,
  };
}

/** Decode stored bytes; a corrupt entry is reported and read as a miss, never thrown. */
export function decodeStored(shared: Shared, bytes: Uint8Array, operation: string): DecodedEntry | undefined {
  const memo = shared.decoded;
  if (memo !== undefined) {
    const known = memo.get(bytes);
    if (known !== undefined) return known;
  }
  let entry: DecodedEntry;
  try {
    entry = decodeEntry(bytes, shared.options.codec);
  } catch (error) {
    reportError(shared, operation, error as LarderError);
    return undefined;
  }
  if (memo !== undefined) {
    // Every reader shares this one object: freeze it so nobody can change what others read.
    deepFreeze(entry.value);
    memo.set(bytes, entry);
  }
  return entry;
}

/**
 * A store operation failed. Under `degrade` a store failure is reported and the
 * caller degrades; under `throw` (or for errors that are the caller's, such as
 * a missing key) it is rethrown. `alwaysThrow` is for counting operations.
 */
export function handleFailure(shared: Shared, operation: string, error: unknown, alwaysThrow = false): void {
  const storeFailure = isStoreFailure(error);
  const larderError = toLarderError(error, operation);
  if (storeFailure) reportError(shared, operation, larderError);
  if (alwaysThrow || !storeFailure || shared.options.onError === 'throw') throw larderError;
}

/** Count an error, emit the event, and log it once per window. */
export function reportError(shared: Shared, operation: string, error: LarderError): void {
  shared.counters.errors++;
  const code: ErrorCode = error.code;
  shared.events.error({ operation, code, error });
  if (code === 'E_CIRCUIT_OPEN') return; // the failures that opened it were logged
  const now = shared.options.clock.now();
  if (now - shared.loggedAt < LOG_WINDOW_MS) {
    shared.suppressed++;
    return;
  }
  const suppressed = shared.suppressed;
  shared.loggedAt = now;
  shared.suppressed = 0;
  shared.options.logger.warn(
    `${operation} failed on the ${shared.store.name} store (${code}): ${error.message}`,
    {
      code: WarningCodes.W_DEGRADED,
      ...(suppressed > 0 ? { suppressed } : {}),
    },
  );
}
