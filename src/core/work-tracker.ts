/**
 * Background work a cache started (refreshes after serving a stale value, early
 * refreshes, factory runs that outlived a caller's timeout): counted so that
 * `idle()` and `close()` can wait for it, and handed to a serverless host's
 * `waitUntil` so the invocation is not frozen mid-refresh.
 */

/** Tracks promises until they settle. */
export class WorkTracker {
  readonly #running = new Set<Promise<unknown>>();
  readonly #waitUntil: ((work: Promise<unknown>) => void) | undefined;

  constructor(waitUntil: ((work: Promise<unknown>) => void) | undefined) {
    this.#waitUntil = waitUntil;
  }

  /** Work in progress. */
  get size(): number {
    return this.#running.size;
  }

  /** Track `work` until it settles; its rejection is the caller's to handle, never unhandled here. */
  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.#running.add(settled);
    settled.then(() => this.#running.delete(settled));
    if (this.#waitUntil !== undefined) {
      try {
        this.#waitUntil(settled);
      } catch {
        // The host's hook failing must not fail the request that started the work.
      }
    }
  }

  /** Resolves once nothing tracked is running, including work started while waiting. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }
}
