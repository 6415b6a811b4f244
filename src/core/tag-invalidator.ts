/**
 * `invalidateTags` with nothing lost when the store is down: a bump that fails
 * is retried with backoff until it lands, and meanwhile this process treats
 * every entry carrying one of those tags as a miss and stores no new ones (a
 * value stored now would carry the pre-bump generation and turn valid again if
 * the bump were never made).
 */
import type { TagGenerations } from './tag-generations.js';

/** Retry delays of a failed bump, doubling from the first to the last. */
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;

/** Pending tag invalidations of one cache. */
export class TagInvalidator {
  readonly #generations: TagGenerations;
  readonly #onRetryFailure: (error: unknown) => void;
  /** Tags whose bump has not landed yet, with the number of calls waiting on each. */
  readonly #pending = new Map<string, number>();
  #retry: { timer: NodeJS.Timeout; delayMs: number; tags: Set<string> } | undefined;
  #retrying: Promise<void> | undefined;

  constructor(generations: TagGenerations, onRetryFailure: (error: unknown) => void) {
    this.#generations = generations;
    this.#onRetryFailure = onRetryFailure;
  }

  /** Tags whose invalidation has not reached the store yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** True when any of `tags` has an invalidation that has not landed. */
  anyPending(tags: readonly string[]): boolean {
    if (this.#pending.size === 0) return false;
    return tags.some((tag) => this.#pending.has(tag));
  }

  /**
   * Bump `tags`. Marked pending first, so from this moment no local read serves
   * an entry with them. Rejects when the store fails; the bump is then retried
   * in the background until it lands.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    for (const tag of tags) this.#pending.set(tag, (this.#pending.get(tag) ?? 0) + 1);
    try {
      await this.#generations.bump(tags);
    } catch (error) {
      this.#scheduleRetry(tags, FIRST_RETRY_MS);
      throw error;
    } finally {
      this.#settle(tags);
    }
  }

  /** Try the pending bumps once more now (for `close`); resolves whether none is left. */
  async flush(): Promise<boolean> {
    const retry = this.#retry;
    if (retry === undefined) return this.#pending.size === 0;
    clearTimeout(retry.timer);
    this.#retry = undefined;
    await this.#attempt(retry.tags, retry.delayMs, false);
    return this.#pending.size === 0;
  }

  /** Stop retrying (the cache is closing); pending tags stay pending. */
  stop(): void {
    if (this.#retry !== undefined) clearTimeout(this.#retry.timer);
    this.#retry = undefined;
  }

  #settle(tags: readonly string[]): void {
    for (const tag of tags) {
      const waiting = (this.#pending.get(tag) ?? 1) - 1;
      if (waiting <= 0) this.#pending.delete(tag);
      else this.#pending.set(tag, waiting);
    }
  }

  #scheduleRetry(tags: readonly string[], delayMs: number): void {
    const retry = this.#retry;
    // One retry holds them all; each tag stays pending until its retry lands.
    const all = retry?.tags ?? new Set<string>();
    for (const tag of tags) {
      if (!all.has(tag)) this.#pending.set(tag, (this.#pending.get(tag) ?? 0) + 1);
      all.add(tag);
    }
    if (retry !== undefined) return;
    const timer = setTimeout(() => {
      this.#retry = undefined;
      this.#retrying = this.#attempt(all, delayMs, true);
    }, delayMs);
    timer.unref();
    this.#retry = { timer, delayMs, tags: all };
  }

  async #attempt(tags: Set<string>, delayMs: number, reschedule: boolean): Promise<void> {
    const list = [...tags];
    try {
      await this.#generations.bump(list);
      this.#settle(list);
    } catch (error) {
      this.#onRetryFailure(error);
      // Hand the tags to a new retry without counting them twice.
      this.#settle(list);
      if (reschedule) this.#scheduleRetry(list, Math.min(delayMs * 2, MAX_RETRY_MS));
      else for (const tag of list) this.#pending.set(tag, (this.#pending.get(tag) ?? 0) + 1);
    }
  }

  /** The retry in progress, if any (for `idle`). */
  get retrying(): Promise<void> | undefined {
    return this.#retrying;
  }
}
