/**
 * The tiered store: an in-process L1 (memory) in front of a shared L2 (Redis),
 * kept coherent across processes by invalidations on a pub/sub bus.
 *
 * The rules, and why:
 * - An L1 hit answers synchronously: that is the point of an L1.
 * - L1 serves only while the bus subscription is live, the store hears its
 *   own heartbeat, and no L2 failure is unanswered (L1Gate). A process that
 *   may be missing invalidations (not subscribed yet, connection dropped,
 *   messages silently not arriving, a server that stopped answering) reads L2
 *   only, and empties L1 when it hears again: nothing cached before an outage
 *   is served after it.
 * - A fill (L2 reply → L1) is skipped when an invalidation of its key arrived
 *   while the L2 read was in flight (see InvalidationTracker) or a local write
 *   of it has not been answered yet, and lives no
 *   longer than L2 has left nor than `l1MaxTtl`.
 * - A write drops its keys from this process's L1 when it starts: L2 may
 *   answer late or never, and the process must not serve what it replaces
 *   meanwhile. It goes to L2, then updates this process's L1, then publishes
 *   the keys so other processes drop them. Publishing waits for the L2 write:
 *   announced earlier, another process could drop its copy and refill it from
 *   L2 before the write lands there. When L2 can (`writeAndPublish`, Redis)
 *   and the bus is its own, the write and the publish are one atomic step, so
 *   a writer that dies midway leaves neither; `clear(prefix)` stays two steps.
 */
import { randomUUID } from 'node:crypto';
import { LarderError } from '../../core/errors.js';
import type {
  Bus,
  MaybePromise,
  Store,
  StoreAddResult,
  StoreEntry,
  StoreHints,
  StoreTtlMs,
} from '../../core/store.js';
import type { MemoryStore } from '../memory/memory-store.js';
import { InvalidationTracker } from './invalidation-tracker.js';
import { L1Gate } from './l1-gate.js';
import { PublishQueue } from './publish-queue.js';
import { createCounters, type TieredCounters, type TieredStats } from './tiered-stats.js';
import {
  type ResolvedTieredOptions,
  resolveTieredOptions,
  type TieredStoreOptions,
} from './tiered-store-options.js';
import { type SyncL1, TieredSync } from './tiered-sync.js';

/** A tiered store (`tieredStore()`). */
export interface TieredStore extends Store {
  readonly name: 'tiered';
  /** The local tier. */
  readonly l1: MemoryStore;
  /** The shared tier. */
  readonly l2: Store;
  /** The bus invalidations travel on. */
  readonly bus: Bus;
  /** An L1 hit answers synchronously; anything else is a promise. */
  get(key: string, hints?: StoreHints): MaybePromise<Uint8Array | null | undefined>;
  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs, hints?: StoreHints): Promise<void>;
  add(key: string, value: Uint8Array, ttlMs: StoreTtlMs, hints?: StoreHints): Promise<StoreAddResult>;
  delete(key: string, hints?: StoreHints): Promise<boolean>;
  getMany(keys: readonly string[]): MaybePromise<Array<Uint8Array | undefined>>;
  setMany(entries: readonly StoreEntry[]): Promise<boolean[]>;
  deleteMany(keys: readonly string[]): Promise<number>;
  has(key: string): Promise<boolean>;
  /** Resolves once the bus subscription is live (L1 in use); rejects with `E_CLOSED` if closed first. */
  ready(): Promise<void>;
  /**
   * A call to this store failed as unhealthy (`E_TIMEOUT` not caused by the
   * caller's own event-loop stall, or `E_STORE`); core's guard reports it.
   * L1 goes out of service at once and stays out until the bus proves live
   * after the failure: an own message sent since comes back (or, with the
   * heartbeat off, a publish sent since succeeds while subscribed).
   */
  noteFailure(error: LarderError): void;
  /** Counters and state, for metrics and tests. */
  stats(): TieredStats;
  /** Close the subscription, then L1 and L2 (the tiered store owns both). Idempotent. */
  close(): Promise<void>;
}

/** How long `close()` waits for a last publish of unpublished invalidations. */
const CLOSE_PUBLISH_TIMEOUT_MS = 500;

/** Internals a test can replace (the fill-race test swaps in a tracker that sees nothing). */
export interface TieredInternals {
  readonly tracker?: InvalidationTracker;
}

/** The tiered store. Build it with `tieredStore()`. */
export class TieredByteStore implements TieredStore {
  readonly name = 'tiered' as const;
  readonly sharesBuffers: boolean;
  readonly maxKeyBytes?: number;
  readonly l1: MemoryStore;
  readonly l2: Store;
  readonly bus: Bus;
  // Present exactly when L2 has them (see the constructor).
  readonly ttl?: (key: string) => MaybePromise<number | null | undefined>;
  readonly touch?: (key: string, ttlMs: StoreTtlMs) => Promise<boolean>;
  readonly incrBy?: (key: string, delta: number) => Promise<number>;
  readonly compareAndSet?: (
    key: string,
    expected: Uint8Array | null,
    value: Uint8Array,
    ttlMs: StoreTtlMs,
  ) => Promise<boolean>;
  readonly acquireLease?: (key: string, token: string, ttlMs: number) => MaybePromise<boolean>;
  readonly releaseLease?: (key: string, token: string) => MaybePromise<boolean>;
  readonly renewLease?: (key: string, token: string, ttlMs: number) => MaybePromise<boolean>;
  readonly mapError?: (error: unknown) => LarderError;
  /**
   * L2's keys: L1 holds copies of L2 entries, so L2 has every key worth
   * listing (except those written with the `skipL2` hint, which stay local).
   */
  readonly scanKeys?: (prefix: string, pageSize?: number) => AsyncIterable<readonly string[]>;
  /** The same store as `l1`, typed as what it is: synchronous. */
  readonly #l1: SyncL1;
  /** Checked on every L1 read: true while the subscription is live and L1 may serve. */
  #live = false;
  readonly #sync: TieredSync;
  readonly #gate: L1Gate;
  readonly #queue: PublishQueue;
  readonly #counters: TieredCounters;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedTieredOptions, internals: TieredInternals = {}) {
    const { l1, l2, bus } = options;
    this.l1 = l1;
    // The one place that relies on L1 being synchronous by its type: the
    // options accept only a memory store (see TieredStoreOptions.l1).
    this.#l1 = l1 as unknown as SyncL1;
    this.l2 = l2;
    this.bus = bus;
    this.sharesBuffers = l1.sharesBuffers === true;
    const maxKeyBytes = Math.min(l1.maxKeyBytes ?? Infinity, l2.maxKeyBytes ?? Infinity);
    if (maxKeyBytes !== Infinity) this.maxKeyBytes = maxKeyBytes;
    const counters = createCounters();
    this.#counters = counters;
    const origin = randomUUID();
    this.#queue = new PublishQueue({
      // A failed publish says the bus's server may be unreachable, like any L2 failure.
      publish: (message) => {
        let sent: Promise<void>;
        try {
          sent = bus.publish(options.channel, message);
        } catch (error) {
          sent = Promise.reject(error);
        }
        return sent.catch((error: unknown) => {
          this.#noteL2Failure(error);
          throw error;
        });
      },
      origin,
      clock: options.clock,
      random: options.random,
      retry: options.retry,
      maxPendingKeys: options.maxPendingKeys,
      // L1 copies are capped at l1MaxTtlMs from their fill; twice that covers
      // reply latency and clock skew between processes.
      maxAgeMs: 2 * options.l1MaxTtlMs,
      counters,
    });
    this.#sync = new TieredSync({
      l1: this.#l1,
      l2,
      origin,
      channel: options.channel,
      clock: options.clock,
      l1MaxTtlMs: options.l1MaxTtlMs,
      // A bus passed in is not one L2 can publish on, even if L2 has a bus.
      atomic: l2.writeAndPublish !== undefined && bus === l2.bus,
      tracker: internals.tracker ?? new InvalidationTracker(options.maxTrackedKeys),
      queue: this.#queue,
      counters,
      isLive: () => this.#live,
      onEcho: (sentAt) => this.#gate.heard(sentAt),
      onFailure: (error) => this.#noteL2Failure(error),
    });
    this.#gate = new L1Gate({
      bus,
      channel: options.channel,
      origin,
      retry: options.retry,
      random: options.random,
      clock: options.clock,
      heartbeat: options.heartbeat,
      counters,
      onMessage: (text) => this.#sync.receive(text),
      onChange: (live) => {
        // Either way, L1 may hold entries whose invalidation was (or will be)
        // missed: empty it and make every in-flight fill stale before (re)opening.
        this.#sync.dropAll();
        if (!live && this.#closing === undefined) counters.quarantines++;
        this.#live = live;
      },
      onPublishFailure: (error) => this.#noteL2Failure(error),
    });
    // Present exactly when L2 has them, so that core's fallbacks apply otherwise.
    const { ttl, touch, incrBy, compareAndSet, acquireLease, releaseLease, renewLease, mapError, scanKeys } =
      l2;
    const sync = this.#sync;
    if (ttl !== undefined) this.ttl = ttl.bind(l2);
    if (touch !== undefined)
      this.touch = (key, ttlMs) =>
        sync.write(
          { op: 'touch', key, ttlMs },
          // The L1 copy's TTL was capped by the old one: drop it, here and elsewhere.
          (_, snapshot) => sync.settle(key, snapshot),
        );
    if (incrBy !== undefined)
      this.incrBy = (key, delta) =>
        sync.write({ op: 'incrBy', key, delta }, (_, snapshot) => sync.settle(key, snapshot));
    // Compared in L2, the one copy every process agrees on; a swap that stored
    // keeps its value in L1 like a set, one that found other bytes changed nothing.
    if (compareAndSet !== undefined)
      this.compareAndSet = (key, expected, value, ttlMs) =>
        sync.write({ op: 'compareAndSet', key, expected, value, ttlMs }, (swapped, snapshot) =>
          swapped ? sync.settle(key, snapshot, value, ttlMs) : sync.settle(key, snapshot),
        );
    // Leases live in L2 only: they never go through get, so L1 never holds one.
    if (acquireLease !== undefined) this.acquireLease = acquireLease.bind(l2);
    if (releaseLease !== undefined) this.releaseLease = releaseLease.bind(l2);
    if (renewLease !== undefined) this.renewLease = renewLease.bind(l2);
    if (mapError !== undefined) this.mapError = mapError.bind(l2);
    if (scanKeys !== undefined) this.scanKeys = scanKeys.bind(l2);
    this.#gate.start();
  }

  get(key: string, hints?: StoreHints): MaybePromise<Uint8Array | null | undefined> {
    // The hot path: a flag, a Map lookup, no promise.
    if (this.#live && hints === undefined) {
      const bytes = this.#l1.get(key);
      if (bytes !== undefined) return bytes;
    }
    return this.#sync.read(key, hints);
  }

  getMany(keys: readonly string[]): MaybePromise<Array<Uint8Array | undefined>> {
    return this.#sync.readMany(keys);
  }

  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs, hints?: StoreHints): Promise<void> {
    const sync = this.#sync;
    if (hints?.skipL2 === true) {
      if (hints.skipL1 !== true && this.#live) sync.putL1(key, value, ttlMs);
      return Promise.resolve();
    }
    const keep = hints?.skipL1 === true ? undefined : value;
    return sync.write({ op: 'set', key, value, ttlMs }, (_, snapshot) =>
      sync.settle(key, snapshot, keep, ttlMs),
    );
  }

  async add(key: string, value: Uint8Array, ttlMs: StoreTtlMs, hints?: StoreHints): Promise<StoreAddResult> {
    const sync = this.#sync;
    if (hints?.skipL2 === true) {
      // Nothing stored reads as `exists`: the caller did not store its value.
      if (hints.skipL1 === true || !this.#live) return 'exists';
      if (this.#l1.get(key) !== undefined) return 'exists';
      sync.putL1(key, value, ttlMs);
      return 'stored';
    }
    const keep = hints?.skipL1 === true ? undefined : value;
    // Like every write, the key leaves L1 when the add starts, though an add
    // that finds the key changes nothing: an L1 copy is no proof that L2 still
    // has it (evicted, or deleted by a process whose message is on its way),
    // and an add that times out may still land. The price is one L2 read.
    // `exists`: nothing to put back, nor to announce (see announces()).
    return sync.write({ op: 'add', key, value, ttlMs }, (result, snapshot) => {
      if (result === 'stored') sync.settle(key, snapshot, keep, ttlMs);
    });
  }

  delete(key: string, hints?: StoreHints): Promise<boolean> {
    const sync = this.#sync;
    if (hints?.skipL2 === true) return Promise.resolve(this.#l1.delete(key));
    // skipL1 or not, a copy left in L1 would be stale: it is dropped.
    return sync.write({ op: 'delete', key }, (_, snapshot) => sync.settle(key, snapshot));
  }

  async has(key: string): Promise<boolean> {
    if (this.#live && this.#l1.get(key) !== undefined) return true;
    this.#counters.l2Reads++;
    if (this.l2.has !== undefined) return this.l2.has(key);
    return (await this.l2.get(key)) != null;
  }

  setMany(entries: readonly StoreEntry[]): Promise<boolean[]> {
    const sync = this.#sync;
    return sync.write({ op: 'setMany', entries }, (stored, snapshot) => {
      for (const [i, entry] of entries.entries())
        sync.settle(entry.key, snapshot, stored[i] === true ? entry.value : undefined, entry.ttlMs);
    });
  }

  deleteMany(keys: readonly string[]): Promise<number> {
    const sync = this.#sync;
    return sync.write({ op: 'deleteMany', keys }, (_, snapshot) => {
      for (const key of keys) sync.settle(key, snapshot);
    });
  }

  clear(prefix: string): Promise<void> {
    return this.#sync.clear(prefix);
  }

  ready(): Promise<void> {
    return this.#gate.ready();
  }

  noteFailure(_error: LarderError): void {
    // Core classified it already (unhealthy, not our own stall).
    if (this.#closing === undefined) this.#gate.suspect();
  }

  /** A rejection this store saw itself: only a sign of an unreachable server counts. */
  #noteL2Failure(error: unknown): void {
    if (this.#closing === undefined && isUnhealthy(error, this.l2)) this.#gate.suspect();
  }

  stats(): TieredStats {
    return Object.freeze({
      l1: this.#closing !== undefined ? 'closed' : this.#live ? 'live' : 'quarantined',
      l1Entries: this.l1.size,
      ...this.#counters,
      unpublishedKeys: this.#queue.unpublishedKeys,
      unpublishedAt: this.#queue.unpublishedAt,
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    try {
      await this.#gate.close();
    } finally {
      // Publishing needs L2's connection: before closing it, one last try for
      // invalidations that are still owed to other processes.
      await this.#queue.close(CLOSE_PUBLISH_TIMEOUT_MS);
      await this.l1.close?.();
      await this.l2.close?.();
    }
  }
}

/**
 * Whether a rejection of an L2 call says the server is unreachable or
 * unresponsive: `E_TIMEOUT` or `E_STORE` after L2's own mapping, the codes
 * core's guard counts against the breaker. OOM, WRONGTYPE or a script error
 * are answers from a healthy server.
 */
function isUnhealthy(error: unknown, l2: Store): boolean {
  let code = 'E_STORE';
  if (error instanceof LarderError) code = error.code;
  else if (l2.mapError !== undefined) {
    try {
      code = l2.mapError(error).code;
    } catch {
      // A broken mapper: the failure stays unclassified, E_STORE.
    }
  }
  return code === 'E_TIMEOUT' || code === 'E_STORE';
}

/**
 * An in-process L1 (memory) in front of a shared L2 (Redis), kept coherent
 * across processes: every write publishes the keys it changed on the L2's bus,
 * and every process drops them from its L1. L1 hits answer synchronously; L1
 * is bypassed (and emptied) whenever the bus is not live, so a process never
 * serves an entry whose invalidation it may have missed. See docs/tiered.md.
 *
 * The tiered store owns the stores you give it: `close()` closes L1 and L2.
 *
 * @example
 * const store = tieredStore({ l2: redisStore({ url: process.env.REDIS_URL }), l1MaxTtl: '30s' });
 * const cache = createCache({ store });
 */
export function tieredStore(options: TieredStoreOptions): TieredStore {
  return new TieredByteStore(resolveTieredOptions(options));
}
