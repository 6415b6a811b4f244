/**
 * Which keys were invalidated while an L2 round trip was in flight, so that a
 * fill (or a local write-through) never puts a value into L1 that an
 * invalidation has already overtaken.
 *
 * Every invalidation takes the next sequence number. An operation snapshots the
 * current number when it starts and, when its L2 reply arrives, asks whether
 * its key was invalidated after the snapshot. Only invalidations that some
 * in-flight operation could still care about are remembered: with nothing in
 * flight the record is dropped, and past its bounds the oldest entries are
 * folded into a floor that makes every older snapshot count as overtaken (a
 * skipped fill costs one more L2 read; a wrong fill would serve stale data).
 */

interface PrefixMark {
  readonly prefix: string;
  readonly seq: number;
}

/** Most prefix invalidations remembered before folding them into the floor. */
const MAX_PREFIXES = 64;

/** The invalidation record of one tiered store. */
export class InvalidationTracker {
  /** The number of the latest invalidation. */
  #seq = 0;
  /** Every snapshot below this counts as overtaken, whatever its key. */
  #floor = 0;
  /** Key → number of its latest invalidation; Map order is invalidation order. */
  readonly #keys = new Map<string, number>();
  #prefixes: PrefixMark[] = [];
  /** Operations between begin() and end(). */
  #inFlight = 0;
  readonly #maxKeys: number;

  /** @param maxKeys keys remembered before the oldest fold into the floor */
  constructor(maxKeys: number) {
    this.#maxKeys = maxKeys;
  }

  /** Start an operation whose result may go into L1: returns its snapshot. Pair with end(). */
  begin(): number {
    this.#inFlight++;
    return this.#seq;
  }

  /** The operation that called begin() is over. */
  end(): void {
    this.#inFlight--;
    // Nobody holds an older snapshot: the record can go, and every later
    // snapshot is at least #seq, so it needs no floor either.
    if (this.#inFlight === 0 && (this.#keys.size > 0 || this.#prefixes.length > 0)) {
      this.#keys.clear();
      this.#prefixes = [];
    }
  }

  /** Whether `key` was (or may have been) invalidated after `snapshot` was taken. */
  changedSince(key: string, snapshot: number): boolean {
    if (this.#floor > snapshot) return true;
    const seq = this.#keys.get(key);
    if (seq !== undefined && seq > snapshot) return true;
    for (const mark of this.#prefixes) if (mark.seq > snapshot && key.startsWith(mark.prefix)) return true;
    return false;
  }

  /** `key` changed: in-flight reads of it must not fill L1. */
  invalidate(key: string): void {
    const seq = ++this.#seq;
    if (this.#inFlight === 0) return;
    this.#keys.delete(key); // re-insert at the end, keeping Map order = sequence order
    this.#keys.set(key, seq);
    if (this.#keys.size > this.#maxKeys) {
      const [oldestKey, oldestSeq] = this.#keys.entries().next().value as [string, number];
      this.#keys.delete(oldestKey);
      this.#floor = Math.max(this.#floor, oldestSeq);
    }
  }

  /** Every key starting with `prefix` changed. */
  invalidatePrefix(prefix: string): void {
    const seq = ++this.#seq;
    if (this.#inFlight === 0) return;
    this.#prefixes.push({ prefix, seq });
    if (this.#prefixes.length > MAX_PREFIXES) {
      const oldest = this.#prefixes.shift() as PrefixMark;
      this.#floor = Math.max(this.#floor, oldest.seq);
    }
  }

  /** Everything changed (L1 cleared, bus lost or regained): no in-flight fill may land. */
  invalidateAll(): void {
    this.#floor = ++this.#seq;
    this.#keys.clear();
    this.#prefixes = [];
  }

  /** Keys and prefixes currently remembered (for tests of the bounds). */
  get size(): number {
    return this.#keys.size + this.#prefixes.length;
  }
}
