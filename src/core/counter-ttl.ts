/**
 * How long tag and namespace generation counters live. A counter must outlive
 * every entry that recorded it, or that entry reads as invalid (a miss) before
 * its TTL; it must not live forever, or one counter per tag ever used (a tag
 * per user) grows the store without bound.
 *
 * So a counter gets a TTL when it is created or re-seeded, and every write of an
 * entry that depends on it extends it (never shortens it) to the entry's TTL,
 * grace included, plus `COUNTER_MARGIN_MS`; a `'forever'` entry makes it
 * persistent. Hits never pay for this: only writes, which extend in parallel
 * with their own round trip, and only when this process's last extension of
 * the counter has less than half the margin to spare (`CounterLives`).
 *
 * Why expiry is safe: an entry is served only while its counter exists and
 * still holds the number the entry recorded. A counter that expired (or was
 * evicted, or lost an extension to a race) is missing, which reads as invalid;
 * it is re-created from a random seed in [2^40, 2^52), so it cannot come back
 * holding a number an old entry recorded (odds 2^-52 per entry). Namespaces
 * work the same way: a new seed is a new generation, and the old keys are
 * unreachable. Expiry can make an entry a miss early, never valid again.
 */
import type { Store, StoreTtlMs } from './store.js';
import type { StoreGuard } from './store-guard.js';
import type { Clock } from './types.js';

/**
 * How much longer than its entries a counter lives: room for the time between
 * an extension and the entry's own write, and a counter's TTL when it is
 * created by a read or an invalidation (no entry depends on it yet).
 */
export const COUNTER_MARGIN_MS = 3_600_000;

/** Seeds are drawn from [2^40, 2^52): far from any count a counter reaches by increments. */
const SEED_LOW = 2 ** 40;
const SEED_SPAN = 2 ** 52 - 2 ** 40;

/** A fresh counter value: a random seed, never 0 or a clock reading. */
export function counterSeed(random: () => number): number {
  return SEED_LOW + Math.floor(random() * SEED_SPAN);
}

/** The TTL a counter needs while an entry stored for `entryTtlMs` (TTL plus grace) depends on it. */
export function counterTtl(entryTtlMs: StoreTtlMs): StoreTtlMs {
  return entryTtlMs === null ? null : entryTtlMs + COUNTER_MARGIN_MS;
}

/**
 * Extend `key` to live at least `ttlMs` (`null`: forever), through `guard`.
 * Stores without `extendTtl` read the TTL and touch; the race between two such
 * callers can only shorten a counter, which is safe (see above).
 */
export async function extendCounter(
  store: Store,
  guard: StoreGuard,
  key: string,
  ttlMs: StoreTtlMs,
): Promise<void> {
  if (store.extendTtl !== undefined) {
    await guard.run('counterTtl', () => store.extendTtl?.(key, ttlMs) ?? false);
    return;
  }
  if (store.ttl === undefined || store.touch === undefined) return;
  const left = await guard.run('counterTtl', () => store.ttl?.(key));
  if (left === undefined || left === null) return;
  if (ttlMs !== null && left >= ttlMs) return;
  await guard.run('counterTtl', () => store.touch?.(key, ttlMs) ?? false);
}

/** The most counters whose extension a process remembers; past it, it forgets them all. */
const MAX_REMEMBERED = 10_000;

/**
 * The extensions of counters this process made, so that a write skips the
 * round trip when an earlier one left the counter long enough to live: its
 * last extension must still cover the entry's TTL plus half the margin. A
 * counter is so extended at most about every half margin per process, not on
 * every write.
 *
 * What this process cannot see (another process re-created the counter with a
 * shorter life, an eviction, a hand-made change) can only make a counter
 * expire early, and so its entries miss early: never valid again (see above).
 * A counter this process itself re-creates is forgotten, so its next write
 * extends it.
 */
export class CounterLives {
  readonly #store: Store;
  readonly #clock: Clock;
  /** Counter key → until when (on the clock) it was last extended; Infinity for forever. */
  readonly #until = new Map<string, number>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Make `key` live at least as long as an entry stored now for `entryTtlMs` needs (see extendCounter). */
  async keep(guard: StoreGuard, key: string, entryTtlMs: StoreTtlMs): Promise<void> {
    const now = this.#clock.now();
    const until = this.#until.get(key);
    if (
      until !== undefined &&
      (entryTtlMs === null ? until === Infinity : until - now >= entryTtlMs + COUNTER_MARGIN_MS / 2)
    )
      return;
    const ttlMs = counterTtl(entryTtlMs);
    await extendCounter(this.#store, guard, key, ttlMs);
    if (this.#until.size >= MAX_REMEMBERED) this.#until.clear();
    this.#until.set(key, ttlMs === null ? Infinity : now + ttlMs);
  }

  /** This process re-created or re-seeded `key`: its life is the new one's, not what was remembered. */
  forget(key: string): void {
    this.#until.delete(key);
  }
}
