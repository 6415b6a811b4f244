/**
 * Small statistics for benchmark reports: the median and spread of a few runs,
 * percentiles of many latencies.
 */

/** Median and range of a handful of numbers (one per run). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The value at quantile `q` (0..1) of an ascending array, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Median, minimum and maximum of `values`. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(middle)] ?? Number.NaN)
      : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** `12345` → `"12.3 k"`, for ops/s columns. */
export function formatKilo(value: number): string {
  return `${(value / 1000).toFixed(1)} k`;
}

/** `"234.1 k (229.0–236.3 k)"`: median and range of runs, in thousands. */
export function formatSpread(value: Spread): string {
  return `${(value.median / 1000).toFixed(1)} k (${(value.min / 1000).toFixed(1)}–${(value.max / 1000).toFixed(1)} k)`;
}

/** Microseconds with sensible precision, from milliseconds. */
export function formatMicros(ms: number): string {
  const us = ms * 1000;
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}
