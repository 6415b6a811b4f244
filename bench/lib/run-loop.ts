/**
 * A throughput loop for operations that take nanoseconds (an in-process cache
 * hit): one `await` after another, on one thread, timed in batches, with no
 * per-operation clock reading (on this VM `performance.now()` costs 30-70 ns,
 * as much as the operation measured).
 */
import { type Spread, spread } from './stats.js';

/** One operation; `index` picks the key. */
export type LoopOperation = (index: number) => unknown;

/** How to drive one measured run. */
export interface LoopOptions {
  readonly op: LoopOperation;
  readonly durationMs: number;
  /** Untimed operations first (JIT, caches). @default 200 */
  readonly warmupMs?: number;
  /**
   * Operations between clock readings; between batches the loop also yields to
   * the event loop (setImmediate), as request handling would, so timers run.
   * @default 10_000
   */
  readonly batch?: number;
  /** Count operations that resolve `undefined` as misses (off for writes). @default true */
  readonly countMisses?: boolean;
}

/** What one run measured. */
export interface LoopResult {
  readonly ops: number;
  readonly opsPerSec: number;
  /** CPU time of the whole process over wall time (GC helper threads make it exceed 1). */
  readonly cpuShare: number;
  /** Operations that resolved `undefined` (a hit benchmark needs 0). */
  readonly misses: number;
}

async function drive(op: LoopOperation, untilMs: number, batch: number, start: number, count: boolean) {
  let index = start;
  let misses = 0;
  while (performance.now() < untilMs) {
    for (let end = index + batch; index < end; index++) {
      if ((await op(index)) === undefined) misses++;
    }
    await new Promise(setImmediate);
  }
  return { ops: index - start, misses: count ? misses : 0, next: index };
}

/** One warm-up plus one measured run. */
export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const batch = options.batch ?? 10_000;
  const count = options.countMisses ?? true;
  const warm = await drive(options.op, performance.now() + (options.warmupMs ?? 200), batch, 0, count);
  const cpuBefore = process.cpuUsage();
  const startedMs = performance.now();
  const { ops, misses } = await drive(options.op, startedMs + options.durationMs, batch, warm.next, count);
  const elapsedMs = performance.now() - startedMs;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ops,
    opsPerSec: (ops / elapsedMs) * 1000,
    cpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
    misses,
  };
}

/** Several runs of one configuration, summarised. */
export interface LoopSummary {
  readonly name: string;
  readonly runs: readonly LoopResult[];
  readonly opsPerSec: Spread;
  readonly cpuShare: number;
  readonly misses: number;
}

/** Summarise the runs of one configuration. */
export function summarizeLoop(name: string, runs: readonly LoopResult[]): LoopSummary {
  return {
    name,
    runs,
    opsPerSec: spread(runs.map((run) => run.opsPerSec)),
    cpuShare: spread(runs.map((run) => run.cpuShare)).median,
    misses: runs.reduce((sum, run) => sum + run.misses, 0),
  };
}
