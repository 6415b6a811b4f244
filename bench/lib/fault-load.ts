/**
 * The load of bench/faults.ts: reader workers calling `getOrSet` in a closed
 * loop with a think time, and a writer committing rows at a fixed rate. Both
 * only log what happened (instants on CLOCK_MONOTONIC, versions read); judging
 * staleness and cutting the log into phases is done afterwards
 * (./fault-phases.ts), so a child process can log with the same code and hand
 * its log to the parent.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Random } from './create-random.js';
import { monotonicMs } from './fault-database.js';

/** A read's outcome in the log: a version (≥ 0), or one of these. */
export const REJECTED = -1;
/** The call resolved with something that is not a row. */
export const NOT_A_ROW = -2;

/** Every `getOrSet` call of a run, column by column (plain arrays: they go over IPC as JSON). */
export interface ReadLog {
  readonly ids: number[];
  readonly startedAt: number[];
  readonly endedAt: number[];
  /** The version the call returned, or `REJECTED` / `NOT_A_ROW`. */
  readonly versions: number[];
}

/** An empty log. */
export function createReadLog(): ReadLog {
  return { ids: [], startedAt: [], endedAt: [], versions: [] };
}

/** Every write of a run: when the row was committed and how its invalidation call went. */
export interface WriteLog {
  readonly ids: number[];
  readonly committedAt: number[];
  /** Invalidation call duration, ms. */
  readonly invalidationMs: number[];
  readonly rejected: boolean[];
}

/** An empty log. */
export function createWriteLog(): WriteLog {
  return { ids: [], committedAt: [], invalidationMs: [], rejected: [] };
}

/** Pick row ids: uniform when `zipfExponent` is 0, Zipf(s) over ranks 1..size otherwise (row 0 the hottest). */
export function createPicker(random: Random, size: number, zipfExponent: number): () => number {
  if (zipfExponent <= 0) return () => Math.floor(random() * size);
  const cumulative = new Float64Array(size);
  let sum = 0;
  for (let rank = 1; rank <= size; rank++) {
    sum += 1 / rank ** zipfExponent;
    cumulative[rank - 1] = sum;
  }
  return () => {
    const target = random() * sum;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? sum) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** What the readers do. */
export interface ReaderOptions {
  readonly workers: number;
  /** Pause after each call; 0 = one event-loop turn (a loop of L1 hits must still let I/O run). */
  readonly thinkMs: number;
  /** No call starts at or after this instant (monotonic ms); the loops then end by themselves. */
  readonly stopAt: number;
  readonly pick: () => number;
  /** One `getOrSet` of row `id`. */
  readonly read: (id: number) => Promise<unknown>;
}

/** One call of `read`, logged when it settles. */
export async function loggedRead(
  read: (id: number) => Promise<unknown>,
  id: number,
  log: ReadLog,
): Promise<void> {
  const startedAt = monotonicMs();
  let version: number;
  try {
    const value = (await read(id)) as { version?: unknown } | null | undefined;
    version = typeof value?.version === 'number' ? value.version : NOT_A_ROW;
  } catch {
    version = REJECTED;
  }
  log.ids.push(id);
  log.startedAt.push(startedAt);
  log.endedAt.push(monotonicMs());
  log.versions.push(version);
}

/** Run `workers` loops until `stopAt`, logging every call; resolves when the last call has settled. */
export async function runReaders(options: ReaderOptions, log: ReadLog): Promise<void> {
  const worker = async () => {
    while (monotonicMs() < options.stopAt) {
      await loggedRead(options.read, options.pick(), log);
      if (options.thinkMs > 0) await sleep(options.thinkMs);
      else await nextTurn();
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
}

/** What the writer does. */
export interface WriterOptions {
  readonly ratePerS: number;
  readonly stopAt: number;
  readonly pick: () => number;
  /** Commit row `id` in the database (returns the commit instant), then invalidate it in the cache. */
  readonly write: (id: number) => { readonly committedAt: number; readonly invalidation: Promise<unknown> };
}

/**
 * Start one write every 1/ratePerS seconds until `stopAt`, without waiting for
 * the previous one (writes come from independent requests: a slow invalidation
 * does not slow the next commit). Resolves when every invalidation has settled.
 */
export async function runWriter(options: WriterOptions, log: WriteLog): Promise<void> {
  const periodMs = 1000 / options.ratePerS;
  const pending: Promise<void>[] = [];
  let nextAt = monotonicMs();
  while (nextAt < options.stopAt) {
    const id = options.pick();
    const { committedAt, invalidation } = options.write(id);
    const index = log.ids.push(id) - 1;
    log.committedAt.push(committedAt);
    log.invalidationMs.push(Number.NaN);
    log.rejected.push(false);
    pending.push(
      invalidation.then(
        () => {
          log.invalidationMs[index] = monotonicMs() - committedAt;
        },
        () => {
          log.invalidationMs[index] = monotonicMs() - committedAt;
          log.rejected[index] = true;
        },
      ),
    );
    nextAt += periodMs;
    const waitMs = nextAt - monotonicMs();
    if (waitMs > 0) await sleep(waitMs);
  }
  await Promise.all(pending);
}
