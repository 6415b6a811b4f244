/**
 * Throughput targets stated as a ratio to the fastest of several baselines
 * measured in the same run, e.g. "Larder ≥ 0.90x the fastest raw client at 50 in
 * flight": whichever baseline won that concurrency is the one to beat.
 */
import { formatTable } from './format-table.js';
import type { ThroughputResult } from './run-throughput.js';
import { formatSpread, type Spread, spread } from './stats.js';

/** What to check. */
export interface RatioTargetOptions {
  readonly results: readonly ThroughputResult[];
  /** Names of the contenders whose fastest (by median) is the reference. */
  readonly baselines: readonly string[];
  /** Names of the contenders being judged. */
  readonly subjects: readonly string[];
  /** The lowest acceptable ratio, by concurrency. */
  readonly targets: ReadonlyMap<number, number>;
}

/** One subject at one concurrency, against the fastest baseline. */
export interface RatioTargetRow {
  readonly subject: string;
  readonly concurrency: number;
  readonly subjectOps: Spread;
  readonly baseline: string;
  readonly baselineOps: Spread;
  /** Median of the subject over median of the fastest baseline. */
  readonly ratio: number;
  /**
   * Per round, the subject's run over the same baseline's run of that round
   * (runs of one round are seconds apart, so the machine's drift mostly cancels):
   * how stable the ratio is.
   */
  readonly roundRatios: Spread;
  readonly target: number;
  readonly pass: boolean;
}

/** Judge every subject at every concurrency that has a target. */
export function checkRatioTargets(options: RatioTargetOptions): RatioTargetRow[] {
  const rows: RatioTargetRow[] = [];
  for (const [concurrency, target] of options.targets) {
    const atConcurrency = options.results.filter((result) => result.concurrency === concurrency);
    const baselines = atConcurrency.filter((result) => options.baselines.includes(result.name));
    if (baselines.length === 0) continue;
    const fastest = baselines.reduce((a, b) => (a.opsPerSec.median >= b.opsPerSec.median ? a : b));
    for (const subject of atConcurrency.filter((result) => options.subjects.includes(result.name))) {
      const ratio = subject.opsPerSec.median / fastest.opsPerSec.median;
      const roundRatios = subject.runs.map(
        (run, round) => run.opsPerSec / (fastest.runs[round]?.opsPerSec ?? Number.NaN),
      );
      rows.push({
        subject: subject.name,
        concurrency,
        subjectOps: subject.opsPerSec,
        baseline: fastest.name,
        baselineOps: fastest.opsPerSec,
        ratio,
        roundRatios: spread(roundRatios),
        target,
        pass: ratio >= target,
      });
    }
  }
  return rows;
}

/** A Markdown table of `rows`. */
export function formatRatioTargets(rows: readonly RatioTargetRow[]): string {
  return formatTable(
    [
      'Larder contender',
      'in flight',
      'ops/s median (min–max)',
      'fastest raw client (same run)',
      'its ops/s',
      'ratio',
      'per round, median (min–max)',
      'target',
      'result',
    ],
    rows.map((row) => [
      row.subject,
      String(row.concurrency),
      formatSpread(row.subjectOps),
      row.baseline,
      formatSpread(row.baselineOps),
      `${row.ratio.toFixed(2)}x`,
      `${row.roundRatios.median.toFixed(2)}x (${row.roundRatios.min.toFixed(2)}–${row.roundRatios.max.toFixed(2)})`,
      `≥ ${row.target.toFixed(2)}x`,
      row.pass ? 'pass' : 'FAIL',
    ]),
  );
}
