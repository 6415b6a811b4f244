/**
 * The coherence rules of a tiered store, in one place: how an L2 reply may
 * fill L1, how a write updates this process's L1 and tells the others, and
 * how an invalidation heard on the bus is applied.
 *
 * L1 must be synchronous (a memory store): every L1 update below happens in
 * the same tick as the check that allows it, so no invalidation can slip in
 * between.
 */
import { isStoreFailure } from '../../core/errors.js';
import { CHANNELS, channels } from '../../core/events.js';
import type {
  MaybePromise,
  Store,
  StoreHints,
  StoreTtlMs,
  StoreWrite,
  StoreWriteResults,
} from '../../core/store.js';
import type { Clock } from '../../core/types.js';
import {
  decodeInvalidation,
  encodeInvalidation,
  type Invalidation,
  type InvalidationMessage,
} from './invalidation-message.js';
import type { InvalidationTracker } from './invalidation-tracker.js';
import { announces, keysOf, writeL2 } from './l2-write.js';
import { LocalWrites } from './local-writes.js';
import type { PublishQueue } from './publish-queue.js';
import type { TieredCounters } from './tiered-stats.js';

/** The diagnostics channel of bus lag (core's `CHANNELS.busLag`): `{ channel, lagMs }` per message from another process. */
export const BUS_LAG_CHANNEL = CHANNELS.busLag;
const lagChannel = channels.busLag;

/**
 * L1 as the rules use it: `memoryStore()`, whose operations answer
 * synchronously (its type inherits the Store contract's `MaybePromise`).
 */
export interface SyncL1 {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array, ttlMs: StoreTtlMs): void;
  delete(key: string): boolean;
  /** Clears synchronously; the promise only reports completion. */
  clear(prefix: string): Promise<void>;
}

/** What the rules work on. */
export interface TieredSyncOptions {
  readonly l1: SyncL1;
  readonly l2: Store;
  /** This store's id; messages carrying it are its own. */
  readonly origin: string;
  readonly channel: string;
  readonly clock: Clock;
  readonly l1MaxTtlMs: number;
  /**
   * Publish each write's invalidation with the write itself, through
   * `l2.writeAndPublish`: only when L2 has it and the bus is L2's own (L2
   * cannot publish on a bus it does not carry).
   */
  readonly atomic: boolean;
  readonly tracker: InvalidationTracker;
  readonly queue: PublishQueue;
  readonly counters: TieredCounters;
  /** Whether L1 may serve and be filled now (the bus is live). */
  readonly isLive: () => boolean;
  /** One of this store's own messages, sent at `sentAt`, came back (the heartbeat listens). */
  readonly onEcho: (sentAt: number) => void;
  /** An L2 call rejected with `error` (the store decides whether it was unhealthy). */
  readonly onFailure: (error: unknown) => void;
}

/** The part of a write that runs once L2 answered: update L1 (`snapshot` from when it started). */
export type Settle<T> = (result: T, snapshot: number) => void;

const NO_TTL: Promise<null> = Promise.resolve(null);
const UNKNOWN_TTL: Promise<undefined> = Promise.resolve(undefined);
function unknownTtl(): undefined {
  return undefined;
}

/** Reads through L1, writes through L2, and applies invalidations. */
export class TieredSync {
  readonly #o: TieredSyncOptions;
  /** `l2.writeAndPublish` when `atomic`, else undefined. */
  readonly #writeAndPublish: Store['writeAndPublish'];
  /** Keys with a write of this process in flight: none of them is filled meanwhile. */
  readonly #writing = new LocalWrites();

  /** Reports a rejection, then passes it on: one function for every watched call. */
  readonly #failed: (error: unknown) => never;

  constructor(options: TieredSyncOptions) {
    this.#o = options;
    this.#failed = (error) => {
      options.onFailure(error);
      throw error;
    };
    this.#writeAndPublish = options.atomic ? options.l2.writeAndPublish : undefined;
  }

  /** A read that the L1 fast path did not answer. */
  read(key: string, hints: StoreHints | undefined): MaybePromise<Uint8Array | null | undefined> {
    const { l1, l2, counters, isLive } = this.#o;
    const live = isLive();
    if (hints !== undefined) {
      if (hints.skipL2 === true) return hints.skipL1 === true || !live ? undefined : l1.get(key);
      if (hints.skipL1 === true) {
        counters.l2Reads++;
        return this.#watch(l2.get(key));
      }
      const bytes = live ? l1.get(key) : undefined;
      if (bytes !== undefined) return bytes;
    }
    counters.l2Reads++;
    // Quarantined: L2 only, nothing filled; a failure still counts.
    if (!live) return this.#watch(l2.get(key));
    return this.#readThrough(key);
  }

  async #readThrough(key: string): Promise<Uint8Array | null | undefined> {
    const { l1, l2, tracker } = this.#o;
    const snapshot = tracker.begin();
    try {
      const pending = l2.get(key);
      // Sent in the same tick as the GET, so a pipelining client (node-redis)
      // writes both in one round trip.
      const ttl = this.#ttlOf(key);
      const bytes = await pending;
      if (bytes == null) return bytes;
      const l1TtlMs = this.#fillTtlMs(await ttl);
      if (!this.#mayFill(key, snapshot, l1TtlMs)) return bytes;
      l1.set(key, bytes, l1TtlMs);
      // L1 may keep a copy (a small view into a big buffer); hand out what it
      // keeps, so the next hit is the same buffer and core decodes it once.
      return l1.get(key) ?? bytes;
    } catch (error) {
      return this.#failed(error);
    } finally {
      tracker.end();
    }
  }

  /** An L2 reply whose rejection is reported (see `onFailure`). */
  #watch<T>(reply: MaybePromise<T>): MaybePromise<T> {
    return reply instanceof Promise ? reply.catch(this.#failed) : reply;
  }

  /**
   * getMany: L1 hits as they are (synchronously when all hit), the rest in one
   * L2 batch that then fills L1.
   */
  readMany(keys: readonly string[]): MaybePromise<Array<Uint8Array | undefined>> {
    const { l1, isLive } = this.#o;
    const live = isLive();
    const found = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const bytes = live ? l1.get(keys[i] as string) : undefined;
      if (bytes === undefined) missing.push(i);
      else found[i] = bytes;
    }
    return missing.length === 0 ? found : this.#readManyL2(keys, found, missing, live);
  }

  async #readManyL2(
    keys: readonly string[],
    found: Array<Uint8Array | undefined>,
    missing: readonly number[],
    live: boolean,
  ): Promise<Array<Uint8Array | undefined>> {
    const { l1, counters, tracker } = this.#o;
    counters.l2Reads += missing.length;
    const missed = missing.map((i) => keys[i] as string);
    const snapshot = tracker.begin();
    try {
      const pending = this.#getManyL2(missed);
      const ttls = live ? missed.map((key) => this.#ttlOf(key)) : [];
      const values = await pending;
      for (const [j, i] of missing.entries()) {
        const bytes = values[j] ?? undefined;
        found[i] = bytes;
        if (bytes === undefined || !live) continue;
        const key = missed[j] as string;
        const l1TtlMs = this.#fillTtlMs(await ttls[j]);
        if (this.#mayFill(key, snapshot, l1TtlMs)) l1.set(key, bytes, l1TtlMs);
      }
      return found;
    } catch (error) {
      return this.#failed(error);
    } finally {
      tracker.end();
    }
  }

  #getManyL2(keys: readonly string[]): MaybePromise<ReadonlyArray<Uint8Array | null | undefined>> {
    const { l2 } = this.#o;
    if (l2.getMany !== undefined) return l2.getMany(keys);
    return Promise.all(keys.map((key) => l2.get(key)));
  }

  /** L2's TTL of `key`; never rejects (`undefined`, "do not fill", on failure). */
  #ttlOf(key: string): Promise<number | null | undefined> {
    const { l2 } = this.#o;
    if (l2.ttl === undefined) return NO_TTL;
    try {
      return Promise.resolve(l2.ttl(key)).catch(unknownTtl);
    } catch {
      return UNKNOWN_TTL;
    }
  }

  /** How long a fill may live in L1: no longer than L2 has left, nor than l1MaxTtlMs. */
  #fillTtlMs(l2TtlMs: number | null | undefined): number | undefined {
    if (l2TtlMs === undefined) return undefined; // gone from L2 meanwhile, or unknown
    if (l2TtlMs === null) return this.#o.l1MaxTtlMs;
    return l2TtlMs > 0 ? Math.min(l2TtlMs, this.#o.l1MaxTtlMs) : undefined;
  }

  #mayFill(key: string, snapshot: number, l1TtlMs: number | undefined): l1TtlMs is number {
    const { tracker, counters, isLive } = this.#o;
    if (
      l1TtlMs !== undefined &&
      isLive() &&
      !tracker.changedSince(key, snapshot) &&
      this.#writing.of(key) === 0
    )
      return true;
    counters.fillsSkipped++;
    return false;
  }

  /**
   * A local write of `keys` starts: drop them from L1 and make in-flight fills
   * of them stale now, before any round trip. L2 may never answer (a frozen
   * server): this process must not serve the old value meanwhile, nor after
   * its caller gave up waiting.
   */
  #startWriting(keys: readonly string[]): void {
    const { l1, tracker } = this.#o;
    for (const key of keys) {
      tracker.invalidate(key);
      l1.delete(key);
    }
    this.#writing.begin(keys);
  }

  /**
   * Drop the keys from L1 at once, run an L2 write, then `settle` L1, and tell
   * the other processes unless the result says L2 did not change (see
   * `announces`). With `atomic`, L2 publishes the invalidation in the same
   * step as the write; otherwise it is published after the write, and
   * resolves once published or, if publishing failed, queued for retry.
   */
  async write<W extends StoreWrite>(
    write: W,
    settle: Settle<StoreWriteResults[W['op']]>,
  ): Promise<StoreWriteResults[W['op']]> {
    const { tracker, l2, queue, origin, channel, clock } = this.#o;
    const keys = keysOf(write);
    // An empty batch changes nothing: the plain call answers it, unannounced.
    const writeAndPublish = keys.length > 0 ? this.#writeAndPublish : undefined;
    // Before the snapshot: this write's own marks must not count as overtaking it.
    this.#startWriting(keys);
    const snapshot = tracker.begin();
    let result: StoreWriteResults[W['op']];
    try {
      let reply: unknown;
      if (writeAndPublish === undefined) reply = await writeL2(l2, write);
      else {
        // Stamped when sent: the write lands in the same step on the server.
        const message = encodeInvalidation({ origin, sentAt: clock.now(), keys, prefixes: [], all: false });
        reply = await writeAndPublish.call(l2, write, { channel, message });
      }
      // Either way, what the L2 method named by `write.op` resolves to.
      result = reply as StoreWriteResults[W['op']];
      settle(result, snapshot);
    } catch (error) {
      this.#o.onFailure(error);
      // A write that failed may still have landed (a timeout, a connection lost
      // after sending): drop the keys here and elsewhere as if it had.
      if (isStoreFailure(error)) {
        for (const key of keys) this.settle(key, snapshot);
        void this.#announce({ keys, prefixes: [], all: false });
      }
      throw error;
    } finally {
      tracker.end();
      this.#writing.end(keys);
    }
    if (writeAndPublish !== undefined) queue.delivered();
    else if (keys.length > 0 && announces(write, result))
      await this.#announce({ keys, prefixes: [], all: false });
    return result;
  }

  /**
   * After an L2 write of `key` (started at `snapshot`): put `value` into L1, or
   * drop the key when there is no value to keep, L1 is quarantined, or another
   * invalidation of the key arrived while the write was in flight, or another
   * local write of it is still in flight (then which write L2 kept is unknown
   * here, and the next read asks L2).
   */
  settle(key: string, snapshot: number, value?: Uint8Array, ttlMs: StoreTtlMs = null): void {
    const { l1, tracker, isLive } = this.#o;
    // The write being settled is still counted among the local writes.
    const overtaken = tracker.changedSince(key, snapshot) || this.#writing.of(key) > 1;
    // Marked before L1 changes, so that an in-flight read of the old value
    // cannot fill it back after this write.
    tracker.invalidate(key);
    if (value !== undefined && !overtaken && isLive()) l1.set(key, value, this.#capTtlMs(ttlMs));
    else l1.delete(key);
  }

  /** A write to L1 only (`skipL2`). */
  putL1(key: string, value: Uint8Array, ttlMs: StoreTtlMs): void {
    this.#o.tracker.invalidate(key);
    this.#o.l1.set(key, value, this.#capTtlMs(ttlMs));
  }

  #capTtlMs(ttlMs: StoreTtlMs): number {
    return ttlMs === null ? this.#o.l1MaxTtlMs : Math.min(ttlMs, this.#o.l1MaxTtlMs);
  }

  /**
   * Drop `prefix` from L1 at once, clear it in L2, then drop it from L1 again
   * (fills that raced the pages of the clear), then everywhere else.
   */
  async clear(prefix: string): Promise<void> {
    const invalidation: Invalidation = { keys: [], prefixes: [prefix], all: false };
    this.#dropPrefix(prefix);
    this.#writing.beginClear(prefix);
    try {
      await this.#o.l2.clear(prefix);
    } catch (error) {
      this.#o.onFailure(error);
      if (isStoreFailure(error)) {
        this.#dropPrefix(prefix);
        void this.#announce(invalidation);
      }
      throw error;
    } finally {
      this.#writing.endClear(prefix);
    }
    this.#dropPrefix(prefix);
    await this.#announce(invalidation);
  }

  #announce(invalidation: Invalidation): Promise<void> {
    return this.#o.queue.send(invalidation, this.#o.clock.now());
  }

  /** A message heard on the channel. */
  receive(text: string): void {
    const { counters, origin, clock, channel } = this.#o;
    counters.messagesReceived++;
    const message = decodeInvalidation(text);
    if (message === undefined) {
      // Unknown format (a newer version, or noise): assume the worst.
      counters.malformedMessages++;
      this.dropAll();
      return;
    }
    if (message.origin === origin) {
      this.#o.onEcho(message.sentAt);
      return;
    }
    const lagMs = clock.now() - message.sentAt;
    counters.lastLagMs = lagMs;
    counters.maxLagMs = Math.max(counters.maxLagMs ?? lagMs, lagMs);
    if (lagChannel.hasSubscribers) lagChannel.publish({ channel, lagMs });
    // An empty message is another process's heartbeat: good for lag, nothing to drop.
    if (message.all || message.keys.length > 0 || message.prefixes.length > 0) {
      this.#apply(message);
      counters.invalidationsApplied++;
    }
  }

  #apply(message: InvalidationMessage): void {
    const { l1, tracker } = this.#o;
    if (message.all) {
      this.dropAll();
      return;
    }
    for (const key of message.keys) {
      tracker.invalidate(key);
      l1.delete(key);
    }
    for (const prefix of message.prefixes) this.#dropPrefix(prefix);
  }

  #dropPrefix(prefix: string): void {
    this.#o.tracker.invalidatePrefix(prefix);
    // A memory store clears synchronously; its promise only reports completion.
    void this.#o.l1.clear(prefix);
  }

  /** Empty L1 and make every in-flight fill stale. */
  dropAll(): void {
    this.#o.tracker.invalidateAll();
    void this.#o.l1.clear('');
  }
}
