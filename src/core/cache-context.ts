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
import { InvalidationJournal } from './invalidation-journal.js';
import { LeaseWaker } from './lease-waker.js';
import { DEFAULTS, type ResolvedOptions } from './options.js';
import type { Store } from './store.js';
import { type Counters, StoreGuard, toLarderError, zeroCounters } from './store-guard.js';
import { TagGenerations } from './tag-generations.js';
import { WorkTracker } from './work-tracker.js';

/** What a cache and all its namespace views share. */
export interface Shared {
  readonly options: ResolvedOptions;
  readonly store: Store;
  /** Reads and writes: the operation timeout and the breaker that reads open. */
  readonly guard: StoreGuard;
  /**
   * Invalidations (delete, clear, tag bumps, lease releases): their own
   * deadline and breaker, so a breaker that slow reads opened never skips them.
   */
  readonly invalidationGuard: StoreGuard;
  /** Replays of the journal: a deadline, no breaker (a replay is the probe). */
  readonly replayGuard: StoreGuard;
  readonly counters: Counters;
  readonly events: CacheEventHub;
  readonly tags: TagGenerations;
  /** Invalidations that did not reach the store, replayed once it answers (see invalidation-journal.ts). */
  readonly journal: InvalidationJournal;
  /** Factory runs in flight in this process, by stored key (single flight). */
  readonly flights: Map<string, Promise<unknown>>;
  /** getOrSet reads in flight, by stored key, shared by the calls that arrive meanwhile. */
  readonly reads: Map<string, Promise<unknown>>;
  /** Whether a flight was superseded by a local write (see `supersede`). */
  readonly flightStates: WeakMap<Promise<unknown>, FlightState>;
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

/** A getOrSet flight's mutable state. */
export interface FlightState {
  /** A local write or invalidation of its key came in while it computed: its value is not stored. */
  superseded: boolean;
  /** The tags its value is stored with. */
  readonly tags: readonly string[] | undefined;
}

/**
 * A write or invalidation of `storedKey` starts in this process: a getOrSet
 * caller that arrives from now on must not join a read sent before it, nor a
 * factory that may have read the source before it (it would get the value the
 * write replaces), and that factory's value must not be stored over the write
 * (the cache-aside race, closed within the process; tags close it across).
 */
export function supersede(shared: Shared, storedKey: string): void {
  shared.reads.delete(storedKey);
  const flight = shared.flights.get(storedKey);
  if (flight === undefined) return;
  // Marked, not removed: the next caller starts a flight that takes the key
  // over (and overwrites, where the superseded one is still storing).
  const state = shared.flightStates.get(flight);
  if (state !== undefined) state.superseded = true;
}

/**
 * `supersede` for the keys an invalidation covers, which are not known here:
 * every shared read (they are one round trip long; a caller that arrives now
 * sends its own), and the flights whose entries carry one of `tags` (every
 * flight when `tags` is undefined: a clear).
 */
export function supersedeCovered(shared: Shared, tags: readonly string[] | undefined): void {
  shared.reads.clear();
  for (const flight of shared.flights.values()) {
    const state = shared.flightStates.get(flight);
    if (state === undefined) continue;
    if (tags === undefined || state.tags?.some((tag) => tags.includes(tag)) === true) state.superseded = true;
  }
}

/** Degraded failures are logged at most once per window; the rest are counted. */
const LOG_WINDOW_MS = 10_000;

/** The first retry of a journal replay; it doubles up to the breaker's open time. */
const JOURNAL_FIRST_RETRY_MS = 50;

/**
 * Remove every key of a cache: entries, namespaces, then metadata (tag
 * counters, leases). Exact prefixes, never `prefix*`, which would also match
 * `prefix2:…`. Removing a tag counter is safe: a missing counter makes entries
 * invalid, never valid.
 */
export async function clearKeyspace(options: ResolvedOptions, guard: StoreGuard): Promise<void> {
  const { prefix, store } = options;
  for (const head of keyspacePrefixes(prefix)) await guard.run('clear', () => store.clear(head));
}

/** Delete stored keys in one batch where the store can; resolves how many existed. */
export async function deleteKeys(store: Store, keys: readonly string[]): Promise<number> {
  if (store.deleteMany !== undefined) return store.deleteMany(keys);
  const existed = await Promise.all(keys.map((key) => store.delete(key)));
  return existed.filter(Boolean).length;
}

/** The stored-key prefixes of a cache's keyspace: entries, namespaces, metadata. */
export function keyspacePrefixes(prefix: string): readonly string[] {
  return [`${prefix}:`, `${prefix}/`, `${prefix}#`];
}

/** Create the shared state of a new cache. */
export function createShared(options: ResolvedOptions): Shared {
  const counters = zeroCounters();
  // A breaker closing means the store answers again: replay what it missed now.
  const hooks = {
    onStateChange: (state: string): void => {
      if (state === 'closed') shared.journal.kick();
    },
  };
  const guard = new StoreGuard(options, counters, hooks);
  const invalidationGuard = new StoreGuard(
    { ...options, storeTimeoutMs: options.invalidationTimeoutMs },
    counters,
    { ...hooks, guards: 'invalidations' },
  );
  const replayGuard = new StoreGuard(
    { ...options, storeTimeoutMs: options.invalidationTimeoutMs, breaker: undefined },
    counters,
  );
  const tags = new TagGenerations(options, guard);
  const shared: Shared = {
    options,
    store: options.store,
    guard,
    invalidationGuard,
    replayGuard,
    counters,
    events: new CacheEventHub(options.prefix),
    tags,
    journal: new InvalidationJournal({
      maxMembers: options.maxJournalMembers,
      replays: {
        deleteKeys: (keys) => replayGuard.run('delete', () => deleteKeys(options.store, keys)),
        bumpTags: (list) => tags.bump(list, replayGuard),
        releaseLease: async (key, token) => {
          await replayGuard.run('lease', () => options.store.releaseLease?.(key, token) ?? false);
          // Waiters parked on the orphan take the lease at once instead of at their next poll.
          shared.waker.notify(key);
        },
        clearAll: () => clearKeyspace(options, replayGuard),
      },
      retry: {
        initialDelayMs: JOURNAL_FIRST_RETRY_MS,
        maxDelayMs: options.breaker?.openMs ?? DEFAULTS.openMs,
      },
      onReplayFailure: (error, operation) => {
        if (isStoreFailure(error)) reportError(shared, operation, toLarderError(error, operation));
      },
      onOverflow: (records) =>
        options.logger.warn(
          `${records} invalidations could not reach the ${options.store.name} store and overflowed the journal; this process serves nothing from the store until one clear of the cache's keys lands`,
          { code: WarningCodes.W_JOURNAL_OVERFLOW },
        ),
    }),
    flights: new Map(),
    reads: new Map(),
    flightStates: new WeakMap(),
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

/**
 * An invalidating operation failed. A store failure is journaled — replayed
 * once the store answers, and tombstoned here meanwhile — and then follows the
 * error policy (reported under `degrade`, rethrown under `throw`); any other
 * error is the caller's and is thrown, unjournaled.
 */
export function journalFailure(
  shared: Shared,
  operation: string,
  error: unknown,
  record: (journal: InvalidationJournal) => void,
): 'journaled' {
  if (isStoreFailure(error)) record(shared.journal);
  handleFailure(shared, operation, error);
  return 'journaled';
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
/** How long `close()` tries to replay journaled invalidations before giving up on them. */
const CLOSE_FLUSH_MS = 1_000;

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
  if (!(await shared.journal.flush(CLOSE_FLUSH_MS)))
    shared.options.logger.warn(
      `closing with ${shared.journal.pendingCount} invalidation(s) not stored; other processes may serve those entries until their TTL`,
      { code: WarningCodes.W_JOURNAL_LOST },
    );
  shared.journal.stop();
  await shared.waker.close();
  shared.guard.close();
  shared.invalidationGuard.close();
  shared.replayGuard.close();
  await shared.store.close?.();
}
