/**
 * The tables of bench/sql-query.ts: every mode's throughput and latency, then
 * issue 4's two targets as same-run ratios against the raw pool.
 */
import { formatTable } from './format-table.js';
import type { ThroughputResult } from './run-throughput.js';
import { formatMicros, formatSpread, type Spread, spread } from './stats.js';

/** The miss path may cost at most this much raw latency (django-cachalot's own figure). */
export const MISS_LATENCY_TARGET = 1.1;
/** Hits must give at least this much raw throughput. */
export const HIT_THROUGHPUT_TARGET = 5;

/** One query in one mode, over all runs. */
export interface ModeSummary {
  readonly query: string;
  readonly mode: 'raw' | 'miss' | 'hit';
  readonly label: string;
  readonly result: ThroughputResult;
  /** What the wrapper counted during the runs (warm-ups included); none for the raw pool. */
  readonly outcomes:
    | { readonly hits: number; readonly misses: number; readonly bypasses: number }
    | undefined;
  /** Redis commands per call (`"1 get + 1 mget"`), counted on a private server; otherwise undefined. */
  readonly redisCommands: string | undefined;
}

const ratio = (value: number) => `${value.toFixed(2)}x`;
const ratioSpread = (value: Spread) =>
  `${ratio(value.median)} (${value.min.toFixed(2)}–${value.max.toFixed(2)})`;

/** Per run of the same round: subject / raw, so the machine's drift mostly cancels. */
function perRound(
  subject: ThroughputResult,
  raw: ThroughputResult,
  pick: (run: ThroughputResult['runs'][number]) => number,
) {
  return spread(subject.runs.map((run, round) => pick(run) / pick(raw.runs[round] ?? run)));
}

/** The report: a table of all modes, then the targets with their verdicts. */
export function formatSqlQueryReport(summaries: readonly ModeSummary[]): string {
  const rawOf = (query: string) => summaries.find((s) => s.query === query && s.mode === 'raw')?.result;
  const all = formatTable(
    [
      'query',
      'mode',
      'ops/s median (min–max)',
      'vs raw',
      'p50',
      'p99',
      'hits / misses / bypasses',
      'Redis per call',
      'runs',
    ],
    summaries.map(({ query, label, result, outcomes, redisCommands }) => [
      query,
      label,
      formatSpread(result.opsPerSec),
      ratio(result.opsPerSec.median / (rawOf(query)?.opsPerSec.median ?? Number.NaN)),
      formatMicros(result.p50Ms),
      formatMicros(result.p99Ms),
      outcomes === undefined ? '—' : `${outcomes.hits} / ${outcomes.misses} / ${outcomes.bypasses}`,
      outcomes === undefined ? '—' : (redisCommands ?? 'not counted'),
      String(result.runs.length),
    ]),
  );

  const rows: string[][] = [];
  for (const summary of summaries) {
    const raw = rawOf(summary.query);
    if (raw === undefined || summary.mode === 'raw') continue;
    if (summary.mode === 'miss') {
      const p50 = summary.result.p50Ms / raw.p50Ms;
      rows.push([
        summary.query,
        'miss p50 latency / raw p50',
        `${formatMicros(summary.result.p50Ms)} / ${formatMicros(raw.p50Ms)}`,
        ratio(p50),
        ratioSpread(perRound(summary.result, raw, (run) => run.p50Ms)),
        `p99 ${ratio(summary.result.p99Ms / raw.p99Ms)}`,
        `≤ ${ratio(MISS_LATENCY_TARGET)}`,
        p50 <= MISS_LATENCY_TARGET ? 'pass' : 'FAIL',
      ]);
    } else {
      const ops = summary.result.opsPerSec.median / raw.opsPerSec.median;
      rows.push([
        summary.query,
        'hit throughput / raw',
        `${formatSpread(summary.result.opsPerSec)} / ${formatSpread(raw.opsPerSec)}`,
        ratio(ops),
        ratioSpread(perRound(summary.result, raw, (run) => run.opsPerSec)),
        `p50 ${ratio(summary.result.p50Ms / raw.p50Ms)}`,
        `≥ ${ratio(HIT_THROUGHPUT_TARGET)}`,
        ops >= HIT_THROUGHPUT_TARGET ? 'pass' : 'FAIL',
      ]);
    }
  }
  const targets = formatTable(
    [
      'query',
      'target',
      'cached / raw (medians)',
      'ratio',
      'per round, median (min–max)',
      'other',
      'target',
      'result',
    ],
    rows,
  );
  const surprises = summaries.filter(
    ({ mode, outcomes }) =>
      outcomes !== undefined &&
      (outcomes.bypasses > 0 || (mode === 'miss' ? outcomes.hits > 0 : outcomes.misses > 0)),
  );
  const warnings = surprises.map(
    ({ query, label, outcomes }) =>
      `WARNING: ${query}, ${label}: ${outcomes?.hits} hits, ${outcomes?.misses} misses, ${outcomes?.bypasses} bypasses`,
  );
  return [all, '', targets, ...warnings].join('\n');
}
