/**
 * No lost invalidation: every operation that removes or replaces data and did
 * not reach the store (it failed, timed out, or the breaker short-circuited
 * it) is recorded here and replayed as soon as the store answers again. Until
 * it is replayed this process never serves what it covers (a local
 * tombstone), so the writer never reads its own superseded value, and other
 * processes are stale at most until the replay lands.
 *
 * - Replays only ever remove or orphan data (deletes, clears, generation
 *   bumps, lease releases). They commute with each other and are idempotent,
 *   so the journal keeps *what* must be removed, not a log of calls: a key
 *   deleted a thousand times during an outage is one pending delete, and the
 *   replay sends the pending keys in batches (one round trip per batch).
 * - Replaying one after a later successful write costs a miss, never a stale
 *   read; that is why later operations need not queue behind the journal.
 * - A member recorded again while its replay is in flight stays pending: the
 *   new failure may have been sent after the replay.
 * - The journal is bounded. On overflow it collapses into one record that
 *   covers everything (the cache's whole keyspace is cleared, tag counters
 *   included), and until that lands this process serves nothing from the store.
 */
import { type BackoffDelays, backoffDelayMs } from './backoff.js';
import { isStoreFailure } from './errors.js';

/** How the journal replays, through the cache's replay guard. Each rejects while the store fails. */
export interface JournalReplays {
  /** Delete these stored keys (one batch). */
  readonly deleteKeys: (keys: readonly string[]) => unknown;
  /** Bump these tags' generations. */
  readonly bumpTags: (tags: readonly string[]) => unknown;
  /** Release a lease if `token` still holds it. */
  readonly releaseLease: (key: string, token: string) => unknown;
  /** Clear the cache's whole keyspace. */
  readonly clearAll: () => unknown;
}

/** What the journal needs from its cache. */
export interface JournalParts {
  readonly replays: JournalReplays;
  /** The most members (keys, tags, prefixes, leases) kept before the journal covers everything. */
  readonly maxMembers: number;
  /** Delays between replay attempts (no jitter: replays are this process's own). */
  readonly retry: BackoffDelays;
  /** A replay attempt failed (for the error event and the log). */
  readonly onReplayFailure: (error: unknown, operation: string) => void;
  /** The journal overflowed and now covers everything (logged). */
  readonly onOverflow: (members: number) => void;
}

/** Keys deleted per round trip of a replay. */
const REPLAY_BATCH = 500;

/** Pending members, each with the sequence number of its latest record. */
type Pending<V = undefined> = Map<string, { seq: number; value: V }>;

/** The journal of one cache (shared by its namespace views). */
export class InvalidationJournal {
  readonly #parts: JournalParts;
  readonly #keys: Pending = new Map();
  readonly #tags: Pending = new Map();
  /** Prefix clears, by prefix, with how to replay each. */
  readonly #clears: Pending<() => unknown> = new Map();
  /** Leases to release, by lease key, with the token. */
  readonly #leases: Pending<string> = new Map();
  #all: { seq: number } | undefined;
  /** Tags whose bump is in flight, with the number of calls holding each. */
  readonly #held = new Map<string, number>();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Replay attempts that failed since the last one that emptied the journal. */
  #failedAttempts = 0;
  #replaying: Promise<void> | undefined;
  #stopped = false;
  #waiters: Array<() => void> = [];
  /**
   * True while any tombstone is set: the one field a read checks on the hot
   * path before it asks anything else.
   */
  blocking = false;

  constructor(parts: JournalParts) {
    this.#parts = parts;
  }

  /** The wait before the next replay attempt. */
  get #delayMs(): number {
    return backoffDelayMs(this.#failedAttempts, this.#parts.retry);
  }

  /** Members (keys, tags, prefixes, leases) not replayed yet. */
  get pendingCount(): number {
    return (
      this.#keys.size +
      this.#tags.size +
      this.#clears.size +
      this.#leases.size +
      (this.#all === undefined ? 0 : 1)
    );
  }

  /** Whether this process must not serve the entry stored under `key`. */
  blocks(key: string): boolean {
    if (!this.blocking) return false;
    if (this.#all !== undefined || this.#keys.has(key)) return true;
    if (this.#clears.size > 0)
      for (const prefix of this.#clears.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** Whether an entry with any of `tags` must read as invalid here. */
  blocksTags(tags: readonly string[]): boolean {
    if (!this.blocking) return false;
    if (this.#all !== undefined) return true;
    if (this.#tags.size === 0 && this.#held.size === 0) return false;
    return tags.some((tag) => this.#tags.has(tag) || this.#held.has(tag));
  }

  /**
   * Tombstone `tags` while their bump is in flight: it may land at any moment,
   * and from then on no entry of this process may outlive it. Pair with
   * `release`, after `recordTags` when the bump failed, so there is no gap.
   */
  hold(tags: readonly string[]): void {
    for (const tag of tags) this.#held.set(tag, (this.#held.get(tag) ?? 0) + 1);
    this.#refresh();
  }

  /** The bump of `tags` settled (stored, or journaled). */
  release(tags: readonly string[]): void {
    for (const tag of tags) {
      const left = (this.#held.get(tag) ?? 1) - 1;
      if (left <= 0) this.#held.delete(tag);
      else this.#held.set(tag, left);
    }
    this.#refresh();
  }

  /** Stored keys to delete. */
  recordKeys(keys: readonly string[]): void {
    this.#add(this.#keys, keys, undefined);
  }

  /** Tags to bump. */
  recordTags(tags: readonly string[]): void {
    this.#add(this.#tags, tags, undefined);
  }

  /** Keys under `prefix` to clear, by `replay` (a namespace's generation bump, a prefix scan). */
  recordClear(prefix: string, replay: () => unknown): void {
    this.#add(this.#clears, [prefix], replay);
  }

  /** A lease that may be ours, to release by token. No tombstone: it holds no data. */
  recordLease(key: string, token: string): void {
    this.#add(this.#leases, [key], token);
  }

  /** Everything of this cache: its keyspace is cleared on replay. */
  recordAll(): void {
    this.#all = { seq: ++this.#seq };
    this.#refresh();
    this.#schedule(this.#delayMs);
  }

  /** The store answered: replay now rather than at the next retry. */
  kick(): void {
    if (this.pendingCount === 0 || this.#replaying !== undefined || this.#stopped) return;
    this.#schedule(0);
  }

  /**
   * Try to replay everything now; resolves whether the journal is empty by the
   * end of `timeoutMs` (the replay goes on afterwards either way).
   */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pendingCount === 0) return true;
    if (this.#replaying === undefined) this.#schedule(0);
    let timer: NodeJS.Timeout | undefined;
    const emptied = new Promise<boolean>((resolve) => {
      this.#waiters.push(() => resolve(true));
    });
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(this.pendingCount === 0), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([emptied, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop replaying (the cache is closing); what is pending stays pending. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #add<V>(pending: Pending<V>, members: readonly string[], value: V): void {
    const seq = ++this.#seq;
    for (const member of members) pending.set(member, { seq, value });
    const count = this.pendingCount;
    if (count > this.#parts.maxMembers) {
      this.#keys.clear();
      this.#tags.clear();
      this.#clears.clear();
      this.#leases.clear();
      this.#parts.onOverflow(count);
      this.recordAll();
      return;
    }
    this.#refresh();
    this.#schedule(this.#delayMs);
  }

  #refresh(): void {
    this.blocking =
      this.#all !== undefined ||
      this.#keys.size > 0 ||
      this.#clears.size > 0 ||
      this.#tags.size > 0 ||
      this.#held.size > 0;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || this.#replaying !== undefined) return;
    if (this.#timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#replaying = this.#replay().then((retryInMs) => {
        this.#replaying = undefined;
        if (retryInMs !== undefined) this.#schedule(retryInMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  /**
   * Replay everything pending, broadest first; stop at the first store
   * failure. Never rejects; resolves when to try again (`undefined`: done).
   */
  async #replay(): Promise<number | undefined> {
    const { replays } = this.#parts;
    const steps: Array<() => Promise<boolean>> = [
      async () => {
        const all = this.#all;
        if (all === undefined) return true;
        if (!(await this.#step('clear', () => replays.clearAll()))) return false;
        // Everything recorded before it is covered by it.
        for (const pending of [this.#keys, this.#tags, this.#clears, this.#leases] as Pending<unknown>[])
          for (const [member, { seq }] of pending) if (seq < all.seq) pending.delete(member);
        if (this.#all === all) this.#all = undefined;
        this.#refresh();
        return true;
      },
      () => this.#drain('clear', this.#clears, 1, async ([entry]) => entry?.[1].value()),
      () =>
        this.#drain('delete', this.#keys, REPLAY_BATCH, (batch) =>
          replays.deleteKeys(batch.map(([key]) => key)),
        ),
      () =>
        this.#drain('invalidateTags', this.#tags, REPLAY_BATCH, (batch) =>
          replays.bumpTags(batch.map(([tag]) => tag)),
        ),
      () =>
        this.#drain('lease', this.#leases, REPLAY_BATCH, (batch) =>
          Promise.all(batch.map(([key, { value }]) => replays.releaseLease(key, value))),
        ),
    ];
    for (const step of steps) {
      if (this.#stopped) return undefined;
      if (!(await step())) {
        const delayMs = this.#delayMs;
        this.#failedAttempts++;
        return delayMs;
      }
    }
    this.#failedAttempts = 0;
    // Members recorded while this pass ran are replayed by the next one.
    if (this.pendingCount > 0) return 0;
    for (const wake of this.#waiters.splice(0)) wake();
    return undefined;
  }

  /** Replay every member of `pending` in batches; resolves false on a store failure. */
  async #drain<V>(
    operation: string,
    pending: Pending<V>,
    batchSize: number,
    send: (batch: Array<[string, { seq: number; value: V }]>) => unknown,
  ): Promise<boolean> {
    while (pending.size > 0 && !this.#stopped) {
      const batch: Array<[string, { seq: number; value: V }]> = [];
      for (const entry of pending) {
        batch.push(entry);
        if (batch.length === batchSize) break;
      }
      const ok = await this.#step(operation, () => send(batch));
      if (!ok) return false;
      // Recorded again while the batch was in flight: still pending.
      for (const [member, record] of batch) if (pending.get(member) === record) pending.delete(member);
      this.#refresh();
    }
    return true;
  }

  /** Run one replay; resolves false on a store failure (reported; anything else is reported and dropped). */
  async #step(operation: string, send: () => unknown): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      this.#parts.onReplayFailure(error, operation);
      // Not the store's failure (a bug, a closed cache): retrying cannot help.
      return !isStoreFailure(error);
    }
  }
}
