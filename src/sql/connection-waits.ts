/**
 * Shared runs that are waiting for a pool connection, by query key.
 *
 * A `pool.query` miss reads the cache without a connection and checks one out
 * only for the query itself, inside the shared run of its key. Callers that
 * already hold a connection (a checked-out client, a transaction) would join
 * that run and wait for it — while the run may be waiting for the very
 * connection they hold: with the pool exhausted, neither ever moves. So a run
 * registers here while it waits for a connection, and a caller holding one
 * stops waiting for it and runs the query on its own connection instead.
 *
 * A wait counts as stalled only once a macrotask has passed without a
 * connection: an idle connection arrives before that, and a caller that holds
 * one then keeps sharing the run.
 */

/** A caller's watch on one key: `stalled` resolves when a run of that key is stuck waiting for a connection. */
export interface ConnectionWatch {
  readonly stalled: Promise<void>;
  /** Stop watching (the caller has its answer). */
  stop(): void;
}

/** Runs waiting for a connection, and the callers watching them. */
export class ConnectionWaits {
  /** Keys with a run waiting for a connection, and for how many such runs; `stalled` once a macrotask passed. */
  readonly #waiting = new Map<string, { count: number; stalled: boolean }>();
  readonly #watchers = new Map<string, Set<() => void>>();

  /** Check out a connection with `connect` for the shared run of `key`, registered as waiting meanwhile. */
  async connect<T>(key: string, connect: () => Promise<T>): Promise<T> {
    let wait = this.#waiting.get(key);
    if (wait === undefined) {
      wait = { count: 0, stalled: false };
      this.#waiting.set(key, wait);
    }
    wait.count++;
    const current = wait;
    const check = setImmediate(() => {
      if (current.count === 0 || current.stalled) return;
      current.stalled = true;
      this.#wake(key);
    });
    try {
      return await connect();
    } finally {
      clearImmediate(check);
      current.count--;
      if (current.count === 0 && this.#waiting.get(key) === current) this.#waiting.delete(key);
    }
  }

  /** Whether a run of `key` is stuck waiting for a connection now. */
  stalled(key: string): boolean {
    return this.#waiting.get(key)?.stalled === true;
  }

  /** Watch `key` while this caller, holding a connection, waits for a shared run of it. */
  watch(key: string): ConnectionWatch {
    let wake!: () => void;
    const stalled = new Promise<void>((resolve) => {
      wake = resolve;
    });
    if (this.stalled(key)) {
      wake();
      return { stalled, stop: () => undefined };
    }
    let watchers = this.#watchers.get(key);
    if (watchers === undefined) {
      watchers = new Set();
      this.#watchers.set(key, watchers);
    }
    watchers.add(wake);
    return {
      stalled,
      stop: () => {
        const set = this.#watchers.get(key);
        if (set === undefined) return;
        set.delete(wake);
        if (set.size === 0) this.#watchers.delete(key);
      },
    };
  }

  #wake(key: string): void {
    const watchers = this.#watchers.get(key);
    if (watchers === undefined) return;
    this.#watchers.delete(key);
    for (const wake of watchers) wake();
  }
}
