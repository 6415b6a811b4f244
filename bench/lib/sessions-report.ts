/**
 * The tables of bench/sessions.ts: each contender per scenario (requests/s,
 * p99, Postgres queries per request, errors, lost updates), the lost-update
 * phase, and issue 12's targets.
 */
import { formatTable } from './format-table.js';
import type { LoadFigures, LostUpdates } from './session-load.js';
import { SESSION_CONTENDERS, type SessionContender, type SessionServerCounters } from './session-protocol.js';
import { type Spread, spread } from './stats.js';

/** The measured routes. */
export const SESSION_SCENARIOS = [
  { id: 'read-write', path: '/rw', label: 'read + write one field (views + 1, last)' },
  { id: 'read-only', path: '/ro', label: 'read only' },
] as const;

/** One scenario's id. */
export type SessionScenario = (typeof SESSION_SCENARIOS)[number];

/** One contender, one scenario, one round. */
export interface ScenarioRun extends LoadFigures {
  readonly contender: SessionContender;
  readonly scenario: SessionScenario['id'];
  readonly round: number;
  /** The server's counters over the measured window. */
  readonly server: SessionServerCounters;
}

/** One contender's lost-update phase. */
export interface LostPhase extends LostUpdates {
  readonly contender: SessionContender;
  /** Requests that arrived while the other of their pair was being handled (the race happened). */
  readonly overlaps: number;
}

/** A contender's round or lost-update phase that did not complete. */
export interface SessionFailure {
  readonly contender: SessionContender;
  readonly when: string;
  readonly reason: string;
}

/** What the report is made of. */
export interface SessionReport {
  readonly runs: readonly ScenarioRun[];
  readonly lost: readonly LostPhase[];
  /** Contenders not measured (Larder's store not built yet). */
  readonly skipped: readonly SessionContender[];
  readonly failures: readonly SessionFailure[];
  readonly pairs: number;
}

const LABELS: Record<SessionContender, string> = {
  'connect-redis': 'connect-redis 9 (node-redis 6)',
  'postgres-only': 'Postgres only (pg store, as connect-pg-simple)',
  'larder-redis': 'Larder, Redis',
  'larder-tiered': 'Larder, tiered (L1 + Redis)',
  'larder-cached-db': 'Larder, cached_db (Postgres + Redis)',
};
const SKIPPED = 'larder session store not built yet: skipped';

const fmt = (s: Spread, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

function runsOf(report: SessionReport, contender: string, scenario: string): ScenarioRun[] {
  return report.runs
    .filter((run) => run.contender === contender && run.scenario === scenario)
    .sort((a, b) => a.round - b.round);
}

/** Statements over requests, all rounds together. */
function queriesPerRequest(runs: readonly ScenarioRun[]): number {
  const queries = runs.reduce((sum, run) => sum + run.server.queries, 0);
  return queries / runs.reduce((sum, run) => sum + run.server.requests, 0);
}

/** Per round, `subject`'s requests/s over `base`'s of the same round. */
function roundRatios(report: SessionReport, subject: string, base: string, scenario: string): Spread {
  const bases = runsOf(report, base, scenario);
  return spread(
    runsOf(report, subject, scenario)
      .map((run) => run.rps / (bases.find((b) => b.round === run.round)?.rps ?? Number.NaN))
      .filter(Number.isFinite),
  );
}

function contenderTable(report: SessionReport): string {
  const rows: string[][] = [];
  for (const scenario of SESSION_SCENARIOS) {
    for (const contender of SESSION_CONTENDERS) {
      if (report.skipped.includes(contender)) {
        rows.push([scenario.id, LABELS[contender], SKIPPED, '', '', '', '', '']);
        continue;
      }
      const runs = runsOf(report, contender, scenario.id);
      const lost = report.lost.find((phase) => phase.contender === contender);
      if (runs.length === 0) {
        rows.push([scenario.id, LABELS[contender], 'no run completed (see failures)', '', '', '', '', '']);
        continue;
      }
      rows.push([
        scenario.id,
        LABELS[contender],
        fmt(spread(runs.map((run) => run.rps))),
        fmt(spread(runs.map((run) => run.p99Ms))),
        queriesPerRequest(runs).toFixed(3),
        String(runs.reduce((sum, run) => sum + run.errors, 0)),
        String(runs.reduce((sum, run) => sum + run.server.overlaps, 0)),
        scenario.id === 'read-write' && lost !== undefined ? `${lost.lost} of ${lost.pairs}` : '',
      ]);
    }
  }
  return formatTable(
    [
      'scenario',
      'contender',
      'req/s median (range)',
      'p99 ms median (range)',
      'Postgres queries / request',
      'errors (non-2xx, timeouts)',
      'same-session overlaps',
      `lost updates (of ${report.pairs} pairs)`,
    ],
    rows,
  );
}

function lostTable(report: SessionReport): string {
  return formatTable(
    ['contender', 'pairs', 'overlapping requests (server)', 'fields lost', 'errors'],
    SESSION_CONTENDERS.map((contender) => {
      const phase = report.lost.find((p) => p.contender === contender);
      if (phase === undefined)
        return [LABELS[contender], report.skipped.includes(contender) ? SKIPPED : 'failed', '', '', ''];
      return [
        LABELS[contender],
        String(phase.pairs),
        String(phase.overlaps),
        String(phase.lost),
        String(phase.errors),
      ];
    }),
  );
}

function targetTable(report: SessionReport): string {
  const rows: string[][] = [];
  const measured = (contender: SessionContender) => !report.skipped.includes(contender);
  for (const scenario of SESSION_SCENARIOS) {
    for (const subject of ['larder-redis', 'larder-tiered', 'larder-cached-db'] as const) {
      const judged = subject === 'larder-redis';
      const what = `${subject} / connect-redis req/s, ${scenario.id}`;
      if (!measured(subject)) {
        rows.push([what, SKIPPED, judged ? '≥ 0.90x' : '(context)', judged ? 'skipped' : '']);
        continue;
      }
      const ratio = roundRatios(report, subject, 'connect-redis', scenario.id);
      if (Number.isNaN(ratio.median)) {
        rows.push([
          what,
          'no pair of runs in one round',
          judged ? '≥ 0.90x' : '(context)',
          judged ? 'NOT MET' : '',
        ]);
        continue;
      }
      rows.push([
        what,
        `${fmt(ratio, 2)}x`,
        judged ? '≥ 0.90x' : '(context)',
        judged ? (ratio.median >= 0.9 ? 'MET' : 'NOT MET') : '',
      ]);
    }
  }
  const lost = report.lost.find((phase) => phase.contender === 'larder-redis');
  const notMeasured = (contender: SessionContender): string[] =>
    measured(contender) ? ['no run completed (see failures)', 'NOT MET'] : [SKIPPED, 'skipped'];
  const lostRow = notMeasured('larder-redis');
  rows.push([
    'larder-redis lost updates',
    lost === undefined ? (lostRow[0] ?? '') : `${lost.lost} of ${lost.pairs} pairs, ${lost.errors} errors`,
    '0',
    lost === undefined ? (lostRow[1] ?? '') : lost.lost === 0 && lost.errors === 0 ? 'MET' : 'NOT MET',
  ]);
  const cachedDb = runsOf(report, 'larder-cached-db', 'read-only');
  const queries = cachedDb.reduce((sum, run) => sum + run.server.queries, 0);
  const cachedRow = notMeasured('larder-cached-db');
  rows.push([
    'larder-cached-db read-only: Postgres queries / request',
    cachedDb.length === 0
      ? (cachedRow[0] ?? '')
      : `${queriesPerRequest(cachedDb).toFixed(3)} (${queries} in all)`,
    '0',
    cachedDb.length === 0 ? (cachedRow[1] ?? '') : queries === 0 ? 'MET' : 'NOT MET',
  ]);
  return formatTable(['target', 'per-round ratio median (range) / value', 'target', 'verdict'], rows);
}

/** Print the three tables, then any failures. */
export function printSessionReport(report: SessionReport): void {
  console.log();
  console.log(contenderTable(report));
  console.log();
  console.log(
    'Lost-update phase: two concurrent requests per session, one setting a and one setting b; a field is lost when its request answered 200 and the session read afterwards lacks it.',
  );
  console.log(lostTable(report));
  console.log();
  console.log(
    'Ratios are per round, against connect-redis in the same round; the lost-update target counts fields lost and errors.',
  );
  console.log(targetTable(report));
  if (report.failures.length > 0) {
    console.log();
    console.log('Failures (the contender was not measured there):');
    for (const failure of report.failures)
      console.log(`- ${LABELS[failure.contender]}, ${failure.when}: ${failure.reason}`);
  }
}
