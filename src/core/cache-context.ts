/**
 * What a cache and its namespace views share, and the failure policy they apply:
 * decoding stored bytes (a corrupt entry is a reported miss), degrade vs throw,
 * and logging store failures once per window.
 */

import { deepFreeze } from './deep-freeze.js';
import type { Codec, DecodedEntry } from './envelope.js';
import { decodeEntry } from './envelope.js';
import { type ErrorCode, isStoreFailure, type LarderError, WarningCodes } from './errors.js';
import { CacheEventHub } from './events.js';
import { LeaseWaker } from './lease-waker.js';
import type { ResolvedOptions } from './options.js';
import type { Store } from './store.js';
import { type Counters, StoreGuard, toLarderError } from './store-guard.js';
import { TagGenerations } from './tag-generations.js';
import { TagInvalidator } from './tag-invalidator.js';
import { WorkTracker } from './work-tracker.js';

/** What a cache and all its namespace views share. */
export interface Shared {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly guard: StoreGuard;
  readonly counters: Counters;
  readonly events: CacheEventHub;
  readonly tags: TagGenerations;
  readonly invalidator: TagInvalidator;
  /** Factory runs in flight in this process, by stored key (single flight). */
  readonly flights: Map<string, Promise<unknown>>;
  /** getOrSet reads in flight, by stored key, shared by the calls that arrive meanwhile. */
  readonly reads: Map<string, Promise<unknown>>;
  /** Background refreshes and other work `idle()` and `close()` wait for. */
  readonly work: WorkTracker;
  /** Wakes this process's lease waiters when a holder announces its value. */
  readonly waker: LeaseWaker;
  /** Stored keys whose refresh failed, with the instant before which none is retried here. */
  readonly backoff: Map<string, number>;
  /** True when the store shares buffers: decoded entries are then kept on them, frozen (see Store.sharesBuffers). */
  readonly decoded: boolean;
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
    stallTimeouts: 0,
    staleServed: 0,
    factoryCalls: 0,
    factoryErrors: 0,
    coalesced: 0,
    leaseWaits: 0,
    leaseTakeovers: 0,
  };
  const guard = new StoreGuard(options, counters);
  const tags = new TagGenerations(options, guard);
  const shared: Shared = {
    options,
    store: options.store,
    guard,
    counters,
    events: new CacheEventHub(options.prefix),
    tags,
    invalidator: new TagInvalidator(tags, (error) => {
      if (isStoreFailure(error))
        reportError(shared, 'invalidateTags', toLarderError(error, 'invalidateTags'));
    }),
    flights: new Map(),
    reads: new Map(),
    work: new WorkTracker(options.waitUntil),
    waker: new LeaseWaker(options.store.bus, `${options.prefix}#lease`, options.clock),
    backoff: new Map(),
    decoded: options.store.sharesBuffers === true,
    closed: false,
    loggedAt: Number.NEGATIVE_INFINITY,
    suppressed: 0,
  };
  return shared;
}

/**
 * Where a sharing store's buffer carries its decoded entry: a symbol-keyed
 * property on the buffer object itself (never its bytes). One inline-cached
 * property load per hit, where a WeakMap lookup cost ~10% of a memory hit.
 * The codec is kept beside it, so caches with other codecs on the same store
 * decode for themselves.
 */
const DECODED: unique symbol = Symbol('larder.decoded');

interface MemoizedBuffer extends Uint8Array {
  [DECODED]?: { readonly codec: Codec; readonly entry: DecodedEntry };
}

/** Decode stored bytes; a corrupt entry is reported and read as a miss, never thrown. */
export function decodeStored(shared: Shared, bytes: Uint8Array, operation: string): DecodedEntry | undefined {
  const codec = shared.options.codec;
  const sharing = shared.decoded;
  if (sharing) {
    const known = (bytes as MemoizedBuffer)[DECODED];
    if (known !== undefined && known.codec === codec) return known.entry;
  }
  let entry: DecodedEntry;
  try {
    entry = decodeEntry(bytes, codec);
  } catch (error) {
    reportError(shared, operation, error as LarderError);
    return undefined;
  }
  if (sharing) {
    // Every reader shares this one object: freeze it so nobody can change what others read.
    deepFreeze(entry.value);
    (bytes as MemoizedBuffer)[DECODED] = { codec, entry };
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

/** How long `close()` waits for background refreshes before closing the store anyway. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Close a cache: let background refreshes store their values (serverless: the
 * last request's refresh) but not wait forever on a hung factory, try pending
 * invalidations once more, then stop timers and close the store. Idempotent.
 */
export async function closeShared(shared: Shared): Promise<void> {
  if (shared.closed) return;
  shared.closed = true;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    shared.work.idle(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (!(await shared.invalidator.flush().catch(() => false)))
    shared.options.logger.warn(
      `closing with ${shared.invalidator.pendingCount} tag invalidation(s) not stored; other processes may serve those entries until their TTL`,
    );
  shared.invalidator.stop();
  await shared.waker.close();
  shared.guard.close();
  await shared.store.close?.();
}
