/**
 * The throughput harness: keep `concurrency` operations in flight for a fixed
 * time from one Node process, and record ops/s and per-operation latency.
 */
import { quantile, type Spread, spread } from './stats.js';

/** One operation under test; `index` picks the key (or whatever varies). */
export type Operation = (index: number) => Promise<unknown>;

/** How to drive one measured run. */
export interface RunOptions {
  readonly op: Operation;
  /** Operations kept in flight at once. */
  readonly concurrency: number;
  readonly durationMs: number;
  /** Untimed operations first, so JIT and connection warm-up are not measured. @default 300 */
  readonly warmupMs?: number;
}

/** What one run measured. */
export interface RunResult {
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Operations that resolved `undefined` or `null`: a GET-hit benchmark needs 0. */
  readonly misses: number;
}

/** Several runs of one configuration, summarised. */
export interface ThroughputResult {
  readonly name: string;
  readonly concurrency: number;
  readonly runs: readonly RunResult[];
  readonly opsPerSec: Spread;
  /** Median over runs of each run's p50. */
  readonly p50Ms: number;
  /** Median over runs of each run's p99. */
  readonly p99Ms: number;
  readonly misses: number;
}

// Shared and reused so recording a latency never allocates during a run.
let latencies = new Float64Array(1 << 21);

async function drive(op: Operation, concurrency: number, untilMs: number, record: boolean) {
  let next = 0;
  let count = 0;
  let misses = 0;
  const worker = async () => {
    while (performance.now() < untilMs) {
      const index = next++;
      const startedMs = performance.now();
      const value = await op(index);
      if (record) {
        if (count === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[count] = performance.now() - startedMs;
      }
      count++;
      if (value === undefined || value === null) misses++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { count, misses };
}

/** One warm-up plus one measured run. */
export async function runOnce(options: RunOptions): Promise<RunResult> {
  const warmupMs = options.warmupMs ?? 300;
  if (warmupMs > 0) await drive(options.op, options.concurrency, performance.now() + warmupMs, false);
  const startedMs = performance.now();
  const { count, misses } = await drive(
    options.op,
    options.concurrency,
    startedMs + options.durationMs,
    true,
  );
  // The last operations finish after the deadline: divide by the real elapsed time.
  const elapsedMs = performance.now() - startedMs;
  const sorted = latencies.subarray(0, count).sort();
  return {
    ops: count,
    opsPerSec: (count / elapsedMs) * 1000,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    misses,
  };
}

/** Summarise the runs of one configuration. */
export function summarize(name: string, concurrency: number, runs: readonly RunResult[]): ThroughputResult {
  return {
    name,
    concurrency,
    runs,
    opsPerSec: spread(runs.map((run) => run.opsPerSec)),
    p50Ms: spread(runs.map((run) => run.p50Ms)).median,
    p99Ms: spread(runs.map((run) => run.p99Ms)).median,
    misses: runs.reduce((sum, run) => sum + run.misses, 0),
  };
}

/** How to measure one configuration alone. */
export interface ThroughputOptions extends RunOptions {
  readonly name: string;
  /** @default 3 */
  readonly runs?: number;
}

/**
 * `runs` back-to-back runs of one operation, summarised. To compare several
 * configurations fairly, prefer `compareContenders`, which interleaves them.
 * @example
 * const result = await runThroughput({ name: 'GET', op: (i) => client.get(keys[i % keys.length]), concurrency: 50, durationMs: 2000 });
 */
export async function runThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const runs: RunResult[] = [];
  for (let i = 0; i < (options.runs ?? 3); i++) runs.push(await runOnce(options));
  return summarize(options.name, options.concurrency, runs);
}
