/**
 * Per-call latency of an operation that takes nanoseconds: every call timed
 * with `process.hrtime.bigint()`, minus what the two clock readings themselves
 * cost (measured just before, as the median of empty pairs), so a 150 ns call
 * is not reported as 200 ns on a VM where reading the clock costs 50.
 */
import type { LoopOperation } from './run-loop.js';
import { quantile } from './stats.js';

/** Percentiles of one pass, net of the clock cost. */
export interface CallLatency {
  readonly p50Ns: number;
  readonly p99Ns: number;
  /** Median cost of an empty pair of clock readings, already subtracted above. */
  readonly clockNs: number;
  /** Calls that resolved `undefined`. */
  readonly misses: number;
}

/** Median nanoseconds between two back-to-back `hrtime.bigint()` readings. */
function clockCostNs(count: number): number {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const startedAt = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - startedAt);
  }
  return quantile(samples.sort(), 0.5);
}

/**
 * Time `count` calls of `op` (indexes `0..count-1`), one after another with
 * `await`, exactly as the throughput loop calls it.
 */
export async function measureCallLatency(op: LoopOperation, count: number): Promise<CallLatency> {
  const clockNs = clockCostNs(count);
  const samples = new Float64Array(count);
  let misses = 0;
  for (let i = 0; i < count; i++) {
    const startedAt = process.hrtime.bigint();
    if ((await op(i)) === undefined) misses++;
    samples[i] = Number(process.hrtime.bigint() - startedAt);
  }
  samples.sort();
  return {
    p50Ns: Math.max(0, quantile(samples, 0.5) - clockNs),
    p99Ns: Math.max(0, quantile(samples, 0.99) - clockNs),
    clockNs,
    misses,
  };
}
