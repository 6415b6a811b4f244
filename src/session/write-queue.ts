/** The writes of each session from this process, one after another (see `inTurn`). */
export class WriteQueue {
  /** The tail of each session's queue. */
  readonly #queues = new Map<string, Promise<void>>();

  /**
   * Run the writes of one session from this process one after another:
   * racing each other by compare-and-set, N concurrent requests of a session
   * would cost up to N rounds of retries each; queued, each costs at most one
   * retry (its loaded bytes are stale once the one before it wrote).
   * Compare-and-set still settles races with other processes.
   */
  async inTurn<T>(key: string, write: () => Promise<T>): Promise<T> {
    const queues = this.#queues;
    const before = queues.get(key);
    const mine = (before ?? Promise.resolve()).then(write, write);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, settled);
    try {
      return await mine;
    } finally {
      if (queues.get(key) === settled) queues.delete(key);
    }
  }
}
