/**
 * Cutting the logs of bench/faults.ts into phases and judging every read
 * against the database's commit history.
 *
 * A read is **stale** when the version it returned is older than the row's
 * version committed before the read began (a write committed while the read
 * was in flight does not make it stale). Its **age** is how long the returned
 * version had already been superseded when the read began. A call is
 * **parked** when it took longer than `PARKED_MS`.
 */
import type { FaultDatabase } from './fault-database.js';
import { NOT_A_ROW, REJECTED, type ReadLog, type WriteLog } from './fault-load.js';
import { quantile, spread } from './stats.js';

/** A call slower than this counts as parked. */
export const PARKED_MS = 1000;
/** Stale reads at least this old are counted apart: younger ones are mostly the commit → invalidate window. */
export const OLD_STALE_MS = 100;

/** One phase of a scenario, with the counters sampled at its edges. */
export interface Phase {
  readonly name: string;
  /** Monotonic ms; reads are attributed to the phase they started in. */
  readonly startAt: number;
  readonly endAt: number;
  /** Database reads during the phase (every process). */
  readonly dbReads: number;
  /** `cache.stats()` differences over the phase, this process's cache (`errors`, `shortCircuited`, …). */
  readonly cacheDeltas: Readonly<Record<string, number>>;
}

/** What users saw in one phase. */
export interface PhaseSummary {
  readonly phase: string;
  readonly seconds: number;
  readonly calls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly dbReadsPerS: number;
  readonly rejected: number;
  readonly notARow: number;
  readonly stale: number;
  readonly staleOld: number;
  readonly maxStaleAgeMs: number;
  readonly parked: number;
  readonly writes: number;
  readonly writesRejected: number;
  readonly invalidationP99Ms: number;
  readonly cacheDeltas: Readonly<Record<string, number>>;
}

/** Judge every read that began in `phase`, across the logs of every process. */
export function summarizePhase(
  db: FaultDatabase,
  logs: readonly ReadLog[],
  writes: WriteLog,
  phase: Phase,
): PhaseSummary {
  const latencies: number[] = [];
  let rejected = 0;
  let notARow = 0;
  let stale = 0;
  let staleOld = 0;
  let maxStaleAgeMs = 0;
  let parked = 0;
  for (const log of logs) {
    for (let i = 0; i < log.ids.length; i++) {
      const startedAt = log.startedAt[i] ?? Number.NaN;
      if (!(startedAt >= phase.startAt && startedAt < phase.endAt)) continue;
      const id = log.ids[i] ?? 0;
      const version = log.versions[i] ?? REJECTED;
      const latencyMs = (log.endedAt[i] ?? Number.NaN) - startedAt;
      latencies.push(latencyMs);
      if (latencyMs > PARKED_MS) parked++;
      if (version === REJECTED) rejected++;
      else if (version === NOT_A_ROW) notARow++;
      else if (version < db.versionAt(id, startedAt)) {
        stale++;
        const ageMs = startedAt - db.supersededAt(id, version);
        if (ageMs >= OLD_STALE_MS) staleOld++;
        maxStaleAgeMs = Math.max(maxStaleAgeMs, ageMs);
      }
    }
  }
  latencies.sort((a, b) => a - b);
  const invalidations: number[] = [];
  let writesRejected = 0;
  for (let i = 0; i < writes.ids.length; i++) {
    const committedAt = writes.committedAt[i] ?? Number.NaN;
    if (!(committedAt >= phase.startAt && committedAt < phase.endAt)) continue;
    invalidations.push(writes.invalidationMs[i] ?? Number.NaN);
    if (writes.rejected[i]) writesRejected++;
  }
  invalidations.sort((a, b) => a - b);
  const seconds = (phase.endAt - phase.startAt) / 1000;
  return {
    phase: phase.name,
    seconds,
    calls: latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    dbReadsPerS: phase.dbReads / seconds,
    rejected,
    notARow,
    stale,
    staleOld,
    maxStaleAgeMs,
    parked,
    writes: invalidations.length,
    writesRejected,
    invalidationP99Ms: quantile(invalidations, 0.99),
    cacheDeltas: phase.cacheDeltas,
  };
}

/** Milliseconds for the table: `0.004` (an L1 hit), `0.41`, `12.3`, `1840`. */
function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** Column headers of a scenario's table. */
export const PHASE_HEADER = [
  'phase',
  's',
  'calls',
  'p50 ms',
  'p99 ms',
  'max ms',
  'db reads/s',
  'rejected',
  'stale',
  `stale ≥ ${OLD_STALE_MS} ms`,
  'max stale age ms',
  `parked > ${PARKED_MS / 1000} s`,
  'writes (rejected)',
  'inval. p99 ms',
  'store errors / short-circuited',
] as const;

/** One table row. */
export function phaseRow(summary: PhaseSummary): string[] {
  const delta = (name: string) => summary.cacheDeltas[name] ?? 0;
  return [
    summary.phase,
    summary.seconds.toFixed(1),
    summary.calls.toLocaleString('en-US'),
    ms(summary.p50Ms),
    ms(summary.p99Ms),
    ms(summary.maxMs),
    summary.dbReadsPerS.toFixed(0),
    String(summary.rejected + summary.notARow),
    summary.stale.toLocaleString('en-US'),
    summary.staleOld.toLocaleString('en-US'),
    summary.stale === 0 ? '–' : ms(summary.maxStaleAgeMs),
    String(summary.parked),
    `${summary.writes} (${summary.writesRejected})`,
    ms(summary.invalidationP99Ms),
    `${delta('errors')} / ${delta('shortCircuited')}`,
  ];
}

/** Column headers of the across-runs table. */
export const SPREAD_HEADER = [
  'phase',
  'runs',
  'p99 ms',
  'max ms',
  'db reads/s',
  'rejected',
  'stale',
  `stale ≥ ${OLD_STALE_MS} ms`,
  'max stale age ms',
  `parked > ${PARKED_MS / 1000} s`,
] as const;

/** One row of the across-runs table: each cell the median (min–max) of the runs' values. */
export function spreadRow(phase: string, runs: readonly PhaseSummary[]): string[] {
  const cell = (pick: (summary: PhaseSummary) => number, format: (value: number) => string) => {
    const { median, min, max } = spread(runs.map(pick));
    return `${format(median)} (${format(min)}–${format(max)})`;
  };
  const count = (value: number) => value.toFixed(0);
  return [
    phase,
    String(runs.length),
    cell((summary) => summary.p99Ms, ms),
    cell((summary) => summary.maxMs, ms),
    cell((summary) => summary.dbReadsPerS, count),
    cell((summary) => summary.rejected + summary.notARow, count),
    cell((summary) => summary.stale, count),
    cell((summary) => summary.staleOld, count),
    cell((summary) => summary.maxStaleAgeMs, ms),
    cell((summary) => summary.parked, count),
  ];
}
