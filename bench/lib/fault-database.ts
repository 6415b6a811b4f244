/**
 * The "database" of bench/faults.ts, simulated in-process: rows that only
 * carry a version number, a read that costs a fixed time (a timer), and the
 * instant of every committed version, so a read can be judged stale after the
 * fact. Instants are milliseconds on CLOCK_MONOTONIC (`monotonicMs`), one clock
 * for every process on the machine, so reads logged by a child process can be
 * judged against these commits too.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Milliseconds on CLOCK_MONOTONIC, shared by every process on the machine. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** What a read returns and the cache stores. */
export interface Row {
  readonly id: number;
  readonly version: number;
}

/** An in-process table of `size` rows, all at version 0 to begin with. */
export class FaultDatabase {
  readonly size: number;
  readonly #readMs: number;
  readonly #versions: Int32Array;
  /** Per row, the commit instant of version k + 1 at index k. */
  readonly #commits: number[][];
  #reads = 0;

  constructor(size: number, readMs: number) {
    this.size = size;
    this.#readMs = readMs;
    this.#versions = new Int32Array(size);
    this.#commits = Array.from({ length: size }, () => []);
  }

  /** Reads served so far (every process's factory calls end here). */
  get reads(): number {
    return this.#reads;
  }

  /**
   * Read a row: the version is taken when the query starts (a snapshot, as a
   * statement in Postgres sees), the answer comes `readMs` later. A write that
   * commits meanwhile is not in it: the race every cache-aside has.
   */
  async read(id: number): Promise<Row> {
    this.#reads++;
    const version = this.#versions[id] ?? 0;
    await sleep(this.#readMs);
    return { id, version };
  }

  /** Commit a new version of row `id` now; returns it and the commit instant. */
  commit(id: number): { readonly row: Row; readonly committedAt: number } {
    const version = (this.#versions[id] ?? 0) + 1;
    const committedAt = monotonicMs();
    this.#versions[id] = version;
    this.#commits[id]?.push(committedAt);
    return { row: { id, version }, committedAt };
  }

  /** The version of row `id` committed at or before `atMs` (monotonic ms). */
  versionAt(id: number, atMs: number): number {
    const commits = this.#commits[id] ?? [];
    let version = 0;
    while (version < commits.length && (commits[version] ?? Number.POSITIVE_INFINITY) <= atMs) version++;
    return version;
  }

  /** When `version` of row `id` stopped being current (the next version's commit), or Infinity. */
  supersededAt(id: number, version: number): number {
    return this.#commits[id]?.[version] ?? Number.POSITIVE_INFINITY;
  }
}
