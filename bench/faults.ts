/**
 * What users see when Redis freezes, dies or the event loop stalls, under load:
 * 50 workers calling `getOrSet` over 1,000 rows of a simulated database (2 ms
 * a read) while a writer changes 20 rows/s and invalidates them (`delete`,
 * `invalidateTags` or `set` of the new value). Each scenario runs three phases
 * — warm (healthy), fault, recovery — on a private `redis-server`, with a Redis
 * store or a tiered store, and prints per phase: latency, database load,
 * rejected calls, stale reads (judged against the database's commit history),
 * and calls parked for over a second.
 *
 *   node --import tsx bench/faults.ts [--warm-ms 2000] [--fault-ms 3000] [--recovery-ms 5000]
 *     [--workers 50] [--rows 1000] [--think-ms 10] [--writes-per-s 20] [--read-ms 2] [--zipf 0]
 *     [--stall-ms 300] [--stall-every-ms 1000] [--stall-burst 10] [--seed 1] [--runs 1] [--only freeze,tiered]
 *
 * `--only` keeps the scenarios whose name contains every comma-separated word.
 * Every option can also come from the environment, as FAULTS_<NAME>
 * (FAULTS_FAULT_MS=8000, FAULTS_ONLY=tiered), for `npm run bench -- faults`.
 * Never touches the shared Redis: every scenario runs on a server of its own
 * (src/test-support/redis-server.ts), frozen with SIGSTOP, killed with SIGKILL.
 */
import { parseArgs } from 'node:util';
import { createClient, type RedisClientType } from 'redis';
import { startRedisServer } from '../src/test-support/redis-server.js';
import { describeEnvironment } from './lib/describe-environment.js';
import { PHASE_HEADER, type PhaseSummary, phaseRow, SPREAD_HEADER, spreadRow } from './lib/fault-phases.js';
import { type RunSettings, runScenario, type ScenarioResult } from './lib/fault-run.js';
import { type FaultKind, SCENARIOS, type Scenario } from './lib/fault-scenarios.js';
import { TIMEOUT_MS, TTL } from './lib/fault-subject.js';
import { formatTable } from './lib/format-table.js';
import { larderBuild } from './lib/larder-tiered.js';
import { redisVersion } from './lib/redis-version.js';
import { writeResults } from './lib/write-results.js';

const NUMERIC = {
  'warm-ms': 2000,
  'fault-ms': 3000,
  'recovery-ms': 5000,
  workers: 50,
  rows: 1000,
  'think-ms': 10,
  'writes-per-s': 20,
  'read-ms': 2,
  zipf: 0,
  'stall-ms': 300,
  'stall-every-ms': 1000,
  'stall-burst': 10,
  seed: 1,
  runs: 1,
};
const { values } = parseArgs({
  options: {
    ...Object.fromEntries(Object.keys(NUMERIC).map((name) => [name, { type: 'string' as const }])),
    only: { type: 'string' as const },
  },
});
/** `--fault-ms 8000`, or FAULTS_FAULT_MS=8000 in the environment (`npm run bench` passes no flags on). */
const envName = (name: string) => `FAULTS_${name.toUpperCase().replaceAll('-', '_')}`;
const args: Record<keyof typeof NUMERIC, number> = { ...NUMERIC };
for (const name of Object.keys(NUMERIC) as Array<keyof typeof NUMERIC>) {
  const text = (values as Record<string, unknown>)[name] ?? process.env[envName(name)];
  if (text === undefined) continue;
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value))
    throw new Error(`--${name} (or ${envName(name)}) expects a number, got ${String(text)}`);
  args[name] = value;
}
const onlyText = values.only ?? process.env[envName('only')];
const only = typeof onlyText === 'string' ? onlyText.split(',').filter((word) => word !== '') : [];
/** Tiered store counters worth a mention under a table. */
const TIERED_COUNTERS = [
  'l1.quarantines',
  'l1.heartbeatTimeouts',
  'l1.publishFailures',
  'l1.invalidationsApplied',
];
const settings: RunSettings = {
  warmMs: args['warm-ms'],
  faultMs: args['fault-ms'],
  recoveryMs: args['recovery-ms'],
  workers: args.workers,
  rows: args.rows,
  thinkMs: args['think-ms'],
  writesPerS: args['writes-per-s'],
  readMs: args['read-ms'],
  zipf: args.zipf,
  stallMs: args['stall-ms'],
  stallEveryMs: args['stall-every-ms'],
  stallBurst: args['stall-burst'],
  seed: args.seed,
};

function scenarioName(scenario: Scenario): string {
  return `${scenario.store} · ${scenario.fault} · ${scenario.writer} · ${scenario.processes}p`;
}

function faultLabel(fault: FaultKind): string {
  if (fault === 'freeze') return `redis-server SIGSTOP for ${args['fault-ms']} ms, then SIGCONT`;
  if (fault === 'kill')
    return `redis-server SIGKILL, ${args['fault-ms']} ms down, then a fresh empty server on the same port`;
  return (
    `every ${args['stall-every-ms']} ms for ${args['fault-ms']} ms, ${args['stall-burst']} getOrSet calls ` +
    `started, then the event loop blocked ${args['stall-ms']} ms; Redis healthy`
  );
}

/** A scenario's table rows: the bench process's phases, then the child's. */
function rowsOf(result: ScenarioResult, row: (summary: PhaseSummary) => string[]): string[][] {
  return result.processes.flatMap((one) =>
    one.summaries.map((summary) => {
      const cells = row(summary);
      if (one.process === 'child') cells[0] = `child: ${cells[0]}`;
      return cells;
    }),
  );
}

/** The lines under a scenario's table: error events, breaker and L1 states, per process and phase. */
function notes(result: ScenarioResult): string[] {
  const lines: string[] = [];
  const seconds = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(2)} s`;
  for (const one of result.processes) {
    const who = result.processes.length > 1 ? `${one.process} process, ` : '';
    for (const summary of one.summaries) {
      const events = Object.entries(one.errorEvents[summary.phase] ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([kind, count]) => `${kind} ×${count}`);
      const tiered = Object.entries(summary.cacheDeltas)
        .filter(([field, delta]) => TIERED_COUNTERS.includes(field) && delta !== 0)
        .map(([field, delta]) => `${field} +${delta}`);
      if (events.length + tiered.length > 0)
        lines.push(
          `${who}${summary.phase}: error events ${events.join(', ') || 'none'}${tiered.length ? `; ${tiered.join(', ')}` : ''}`,
        );
    }
    const states = one.states;
    if (states === undefined) continue;
    const phases = one.summaries.map((summary) => summary.phase);
    const perPhase = (pick: (phase: string) => string) =>
      phases.map((phase) => `${phase} ${pick(phase)}`).join(', ');
    lines.push(
      `${who}breaker openings: ${perPhase((phase) => String(states.breakerOpenings[phase] ?? 0))}; ` +
        `not closed: ${perPhase((phase) => seconds(states.breakerNotClosedMs[phase]))}` +
        (states.lastNotClosedInRecoveryMs === undefined
          ? ''
          : ` (closed for good ${seconds(states.lastNotClosedInRecoveryMs)} into recovery)`) +
        (result.scenario.store === 'tiered'
          ? `; L1 not live: ${perPhase((phase) => seconds(states.l1NotLiveMs[phase]))}`
          : ''),
    );
  }
  return lines;
}

const startedAt = Date.now();
let unhandled = 0;
let firstUnhandled = '';
process.on('unhandledRejection', (reason) => {
  unhandled++;
  firstUnhandled ||= String((reason as Error)?.stack ?? reason);
});
const server = await startRedisServer();
try {
  const control = createClient({ url: server.url }) as RedisClientType;
  await control.connect();
  const version = await redisVersion(control);
  await control.close();
  const chosen = SCENARIOS.filter((scenario) => only.every((word) => scenarioName(scenario).includes(word)));

  console.log('# Faults: what users see when Redis freezes, dies, or the event loop stalls');
  console.log(describeEnvironment(version));
  console.log(`library: ${larderBuild}`);
  console.log(
    `method: one Node process (scenarios marked 2p: plus a child process reading the same way with a cache ` +
      `of its own, its factory reading the bench process's database over IPC; the bench process writes); a private redis-server (loopback, no persistence) restarted empty before each ` +
      `scenario; a simulated database of ${args.rows} rows (a version number each; a read takes the row's ` +
      `version when it starts and answers ${args['read-ms']} ms later, by timer); ${args.workers} workers each ` +
      `calling cache.getOrSet('row:'+id, () => db.read(id), { ttl: '${TTL}' }) in a loop with ` +
      `${args['think-ms']} ms think time, ids ${args.zipf > 0 ? `Zipf(s=${args.zipf})` : 'uniform'} over the rows; ` +
      `a writer that, ${args['writes-per-s']} times a second (not waiting for the previous one), picks a row ` +
      `the same way, commits its next version, then invalidates it: cache.delete('row:'+id), ` +
      `cache.invalidateTags(['row:'+id]) (getOrSet then tags each entry with it), or cache.set('row:'+id, ` +
      `new row). Cache: createCache({ store, prefix, storeTimeout: ${TIMEOUT_MS} }), breaker and lock defaults ` +
      `(5 failures, 1 s open; lease 10 s), onError degrade; store redisStore({ url }) or tieredStore({ l2: ` +
      `redisStore({ url }), channel }). Every row is read once before the phases (not reported). Phases: ` +
      `warm ${args['warm-ms']} ms, fault ${args['fault-ms']} ms, recovery ${args['recovery-ms']} ms; a call ` +
      `belongs to the phase it started in. Seed ${args.seed}.`,
  );
  console.log(
    'columns: calls = getOrSet calls started in the phase; p50/p99/max = their latency; db reads/s = factory ' +
      'calls that reached the database; rejected = calls that threw or returned no row; stale = calls that ' +
      "returned a version older than the row's version committed before the call began; stale ≥ 100 ms = " +
      'of those, the ones whose version had been superseded at least 100 ms before the call began (younger ' +
      'ones are mostly the commit → invalidate window every cache-aside has); max stale age = the oldest such; ' +
      'parked = calls slower than 1 s; writes (rejected) = writes committed in the phase and how many ' +
      'invalidation calls threw; inval. p99 = commit to invalidation call settled; store errors / ' +
      "short-circuited = the cache's stats() over the phase.",
  );
  const results: ScenarioResult[] = [];
  // Runs interleaved (every scenario once, then again), so a slow stretch of the VM spreads over all.
  for (let run = 0; run < args.runs; run++) {
    for (const [position, scenario] of chosen.entries()) {
      const name = `${scenarioName(scenario)}${args.runs > 1 ? `, run ${run + 1} of ${args.runs}` : ''}`;
      console.error(`  ${name} ...`);
      const result = await runScenario(server, scenario, run * chosen.length + position, settings);
      results.push(result);
      console.log();
      console.log(`## ${name}: ${faultLabel(scenario.fault)}`);
      console.log(formatTable(PHASE_HEADER, rowsOf(result, phaseRow)));
      for (const line of notes(result)) console.log(line);
    }
  }
  if (args.runs > 1) {
    console.log();
    console.log(`# Across ${args.runs} runs: median (min–max) per scenario and phase`);
    for (const scenario of chosen) {
      const runs = results.filter((result) => result.scenario === scenario);
      console.log();
      console.log(`## ${scenarioName(scenario)}`);
      const processes = runs[0]?.processes ?? [];
      const rows = processes.flatMap((first, which) =>
        first.summaries.map((summary, phase) =>
          spreadRow(
            `${first.process === 'child' ? 'child: ' : ''}${summary.phase}`,
            runs
              .map((result) => result.processes[which]?.summaries[phase])
              .filter((one) => one !== undefined),
          ),
        ),
      );
      console.log(formatTable(SPREAD_HEADER, rows));
    }
  }
  console.log();
  console.log(
    `unhandled rejections during the run: ${unhandled}${unhandled ? ` (first: ${firstUnhandled})` : ''}`,
  );
  console.log(
    `total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; raw results: ${writeResults('faults', {
      args,
      results,
    })}`,
  );
} finally {
  await server.stop();
}
