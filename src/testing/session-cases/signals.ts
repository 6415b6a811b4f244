/**
 * The barriers that make two requests of one session overlap on purpose:
 * named one-shot signals a request fires or waits for, each wait bounded
 * (a barrier that never fires is counted, not hung on). Shared by the
 * compliance suite's app and the Fastify session tests.
 */

/** Named one-shot signals with bounded waits. */
export class Signals {
  readonly #waitMs: number;
  readonly #entries = new Map<string, { fired: boolean; promise: Promise<void>; resolve: () => void }>();
  timeouts = 0;

  constructor(waitMs: number) {
    this.#waitMs = waitMs;
  }

  fire(name: string): void {
    const entry = this.#entry(name);
    entry.fired = true;
    entry.resolve();
  }

  /** Resolves once `name` fired, or after the barrier timeout (counted). */
  async wait(name: string): Promise<void> {
    const entry = this.#entry(name);
    if (entry.fired) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#waitMs);
    });
    const late = await Promise.race([entry.promise.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.timeouts += 1;
  }

  /** Lets every waiter go, so closing the app never waits on a barrier. */
  releaseAll(): void {
    for (const entry of this.#entries.values()) entry.resolve();
  }

  #entry(name: string) {
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      entry = { fired: false, promise, resolve };
      this.#entries.set(name, entry);
    }
    return entry;
  }
}
