/**
 * A freshness check for fault tests: a source of truth (rows with versions,
 * standing in for a database), a writer that changes rows and invalidates the
 * cache the way an application does, and readers whose every read is checked
 * against the source. A read is **stale** when the version it returned is
 * older than a version whose invalidation had returned before the read began —
 * a write whose invalidation was lost shows up as stale reads until the TTL.
 */
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Cache } from '../core/types.js';

/** A row as the cache stores it. */
export interface Row {
  readonly id: number;
  readonly version: number;
}

/** How the writer tells the cache that a row changed. */
export type Invalidation = 'delete' | 'tags' | 'set';

/**
 * The rows, and how many times they were read. Each row has two versions: the
 * committed one (what a read of the source returns) and the settled one (whose
 * invalidation call has returned). A read that begins after a settle must not
 * return anything older; between commit and settle the invalidation is in
 * flight, and either answer is correct.
 */
export class Source {
  readonly #versions: number[];
  readonly #settled: number[];
  reads = 0;

  constructor(rows: number) {
    this.#versions = new Array<number>(rows).fill(1);
    this.#settled = new Array<number>(rows).fill(1);
  }

  /** The version of a row whose invalidation has returned. */
  settled(id: number): number {
    return this.#settled[id] ?? 0;
  }

  /** The invalidation of `row` returned. */
  settle(row: Row): void {
    this.#settled[row.id] = Math.max(this.settled(row.id), row.version);
  }

  get rows(): number {
    return this.#versions.length;
  }

  /** The committed version of a row. */
  version(id: number): number {
    return this.#versions[id] ?? 0;
  }

  /** Read a row (synchronously, so no write can slip between the read and its version). */
  read(id: number): Row {
    this.reads++;
    return { id, version: this.version(id) };
  }

  /** Commit a new version of a row. */
  write(id: number): Row {
    const version = this.version(id) + 1;
    this.#versions[id] = version;
    return { id, version };
  }
}

/** One checked read. */
export interface ReadSample {
  /** performance.now() when the read began. */
  readonly startedAt: number;
  readonly ms: number;
  /** The row's settled version when the read began, and what the read returned (undefined: a miss). */
  readonly expected: number;
  readonly got: number | undefined;
}

/** A read is stale when it returned a version older than one settled before it began. */
export function isStale(sample: ReadSample): boolean {
  return sample.got !== undefined && sample.got < sample.expected;
}

/** The key and tag of a row. */
export const rowKey = (id: number): string => `row:${id}`;
export const rowTag = (id: number): string => `row:${id}`;

/** Read a row through `cache`: `getOrSet` from the source on a miss, or a plain `get`. */
export function readRow(
  cache: Cache,
  source: Source,
  id: number,
  how: 'getOrSet' | 'get',
  invalidation: Invalidation,
): Promise<Row | undefined> {
  if (how === 'get') return cache.get<Row>(rowKey(id));
  return cache.getOrSet<Row>(rowKey(id), () => source.read(id), {
    ttl: 60_000,
    ...(invalidation === 'tags' ? { tags: [rowTag(id)] } : {}),
  });
}

/** Change a row in the source, then tell the cache: what an application does after COMMIT. */
export async function writeRow(
  cache: Cache,
  source: Source,
  id: number,
  invalidation: Invalidation,
): Promise<void> {
  const row = source.write(id);
  if (invalidation === 'delete') await cache.delete(rowKey(id));
  else if (invalidation === 'tags') await cache.invalidateTags([rowTag(id)]);
  else await cache.set(rowKey(id), row, { ttl: 60_000 });
  source.settle(row);
}

/** Readers over every row until stopped, each read checked against the source. */
export function startReaders(
  cache: Cache,
  source: Source,
  options: {
    readonly workers: number;
    readonly how: 'getOrSet' | 'get';
    readonly invalidation: Invalidation;
  },
) {
  const samples: ReadSample[] = [];
  const thrown: unknown[] = [];
  let running = true;
  const loop = async (worker: number): Promise<void> => {
    for (let step = 0; running; step++) {
      const id = (worker * 13 + step * 7) % source.rows;
      const expected = source.settled(id);
      const startedAt = performance.now();
      try {
        const row = await readRow(cache, source, id, options.how, options.invalidation);
        samples.push({ startedAt, ms: performance.now() - startedAt, expected, got: row?.version });
      } catch (error) {
        thrown.push(error);
      }
      await yieldToLoop();
    }
  };
  const loops = Array.from({ length: options.workers }, (_, worker) => loop(worker));
  return {
    samples,
    thrown,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** A writer that changes one row every `intervalMs`, cycling through them, until stopped. */
export function startWriter(cache: Cache, source: Source, invalidation: Invalidation, intervalMs: number) {
  const thrown: unknown[] = [];
  let running = true;
  let writes = 0;
  const loop = (async () => {
    for (let id = 0; running; id = (id + 1) % source.rows) {
      try {
        await writeRow(cache, source, id, invalidation);
        writes++;
      } catch (error) {
        thrown.push(error);
      }
      await sleep(intervalMs);
    }
  })();
  return {
    thrown,
    get writes(): number {
      return writes;
    },
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}
