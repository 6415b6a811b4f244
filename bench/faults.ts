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
 *     [--stall-ms 300] [--stall-every-ms 1000] [--seed 1] [--only freeze,tiered]
 *
 * `--only` keeps the scenarios whose name contains every comma-separated word.
 * Never touches the shared Redis: every scenario runs on a server of its own
 * (src/test-support/redis-server.ts), frozen with SIGSTOP, killed with SIGKILL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createClient, type RedisClientType } from 'redis';
import { startRedisServer } from '../src/test-support/redis-server.js';
import { createRandom } from './lib/create-random.js';
import { describeEnvironment } from './lib/describe-environment.js';
import { FaultDatabase, monotonicMs } from './lib/fault-database.js';
import { createPicker, createReadLog, createWriteLog, runReaders, runWriter } from './lib/fault-load.js';
import { PHASE_HEADER, type Phase, type PhaseSummary, phaseRow, summarizePhase } from './lib/fault-phases.js';
import {
  type FaultKind,
  SCENARIOS,
  type Scenario,
  type StoreKind,
  type WriterKind,
} from './lib/fault-scenarios.js';
import { formatTable } from './lib/format-table.js';
import { type Cache, createCache, larderBuild, redisStore, tieredStore } from './lib/larder-tiered.js';
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
  seed: 1,
};
const { values } = parseArgs({
  options: {
    ...Object.fromEntries(Object.keys(NUMERIC).map((name) => [name, { type: 'string' as const }])),
    only: { type: 'string' as const },
  },
});
const args: Record<keyof typeof NUMERIC, number> = { ...NUMERIC };
for (const name of Object.keys(NUMERIC) as Array<keyof typeof NUMERIC>) {
  const text = (values as Record<string, unknown>)[name];
  if (text === undefined) continue;
  const value = Number(text);
  if (typeof text !== 'string' || !Number.isFinite(value))
    throw new Error(`--${name} expects a number, got ${String(text)}`);
  args[name] = value;
}
const only = typeof values.only === 'string' ? values.only.split(',').filter((word) => word !== '') : [];
const TTL = '30s';
const TIMEOUT_MS = 100;

/** The cache, and the stats of everything worth a delta. */
interface Subject {
  readonly cache: Cache;
  stats(): Record<string, number>;
}

function numericFields(source: object, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(source))
    if (typeof value === 'number') out[`${prefix}${name}`] = value;
  return out;
}

async function openSubject(kind: StoreKind, url: string, prefix: string): Promise<Subject> {
  const l2 = redisStore({ url });
  await l2.ready();
  // Degraded failures are counted by stats() and error events; console.warn would only flood the report.
  const logger = { warn() {} };
  if (kind === 'redis') {
    const cache = createCache({ store: l2, prefix, timeoutMs: TIMEOUT_MS, logger });
    return { cache, stats: () => numericFields(cache.stats()) };
  }
  // A channel of the scenario's own, so no earlier scenario's messages reach this L1.
  const store = tieredStore({ l2, channel: `${prefix}:tiered` });
  await store.ready();
  const cache = createCache({ store, prefix, timeoutMs: TIMEOUT_MS, logger });
  return {
    cache,
    stats: () => ({ ...numericFields(cache.stats()), ...numericFields(store.stats(), 'l1.') }),
  };
}

function invalidate(cache: Cache, writer: WriterKind, id: number, version: number): Promise<unknown> {
  if (writer === 'delete') return cache.delete(`row:${id}`);
  if (writer === 'tags') return cache.invalidateTags([`row:${id}`]);
  return cache.set(`row:${id}`, { id, version }, { ttl: TTL });
}

/** Block the event loop for `ms`: what a long synchronous job (a big JSON.parse, a sync crypto call) does. */
function stall(ms: number): void {
  const until = monotonicMs() + ms;
  while (monotonicMs() < until) {
    // Spin: nothing else in this process runs meanwhile, timers and socket reads included.
  }
}

/** A scenario's result. */
interface ScenarioResult {
  readonly scenario: Scenario;
  readonly summaries: PhaseSummary[];
  /** `operation code` of every error event, per phase. */
  readonly errorEvents: Record<string, Record<string, number>>;
}

async function runScenario(
  server: Awaited<ReturnType<typeof startRedisServer>>,
  scenario: Scenario,
  index: number,
): Promise<ScenarioResult> {
  await server.restart();
  const db = new FaultDatabase(args.rows, args['read-ms']);
  const subject = await openSubject(scenario.store, server.url, `faults${index}`);
  const { cache } = subject;
  const tags = scenario.writer === 'tags';
  const read = (id: number) =>
    cache.getOrSet(`row:${id}`, () => db.read(id), tags ? { ttl: TTL, tags: [`row:${id}`] } : { ttl: TTL });
  const errorEvents: Record<string, Record<string, number>> = {};
  let phaseName = 'fill';
  const offEvents = cache.on('error', ({ operation, code }) => {
    const counts = errorEvents[phaseName] ?? {};
    errorEvents[phaseName] = counts;
    counts[`${operation} ${code}`] = (counts[`${operation} ${code}`] ?? 0) + 1;
  });
  try {
    // Fill every row once, 50 at a time, so the warm phase is the steady state.
    for (let id = 0; id < args.rows; id += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, args.rows - id) }, (_, offset) => read(id + offset)),
      );

    const random = createRandom(args.seed + index);
    const pick = createPicker(random, args.rows, args.zipf);
    const startAt = monotonicMs();
    const stopAt = startAt + args['warm-ms'] + args['fault-ms'] + args['recovery-ms'];
    const log = createReadLog();
    const writes = createWriteLog();
    const readers = runReaders({ workers: args.workers, thinkMs: args['think-ms'], stopAt, pick, read }, log);
    const writer = runWriter(
      {
        ratePerS: args['writes-per-s'],
        stopAt,
        pick,
        write(id) {
          const { row, committedAt } = db.commit(id);
          return { committedAt, invalidation: invalidate(cache, scenario.writer, id, row.version) };
        },
      },
      writes,
    );

    // The controller: wait for each edge, sample the counters, apply or lift the fault.
    const phases: Phase[] = [];
    let edgeAt = startAt;
    let edgeReads = db.reads;
    let edgeStats = subject.stats();
    phaseName = 'warm';
    const closePhase = (name: string) => {
      const now = monotonicMs();
      const stats = subject.stats();
      const cacheDeltas: Record<string, number> = {};
      for (const [field, value] of Object.entries(stats))
        cacheDeltas[field] = value - (edgeStats[field] ?? 0);
      phases.push({ name, startAt: edgeAt, endAt: now, dbReads: db.reads - edgeReads, cacheDeltas });
      edgeAt = now;
      edgeReads = db.reads;
      edgeStats = stats;
    };
    await sleep(startAt + args['warm-ms'] - monotonicMs());
    closePhase('warm');
    phaseName = scenario.fault;
    const faultEndAt = startAt + args['warm-ms'] + args['fault-ms'];
    if (scenario.fault === 'freeze') server.freeze();
    else if (scenario.fault === 'kill') await server.kill();
    if (scenario.fault === 'stall') {
      while (monotonicMs() + args['stall-ms'] <= faultEndAt) {
        stall(args['stall-ms']);
        await sleep(Math.min(args['stall-every-ms'] - args['stall-ms'], faultEndAt - monotonicMs()));
      }
    }
    await sleep(faultEndAt - monotonicMs());
    closePhase(scenario.fault);
    phaseName = 'recovery';
    if (scenario.fault === 'freeze') server.thaw();
    else if (scenario.fault === 'kill') await server.restart();
    await sleep(stopAt - monotonicMs());
    closePhase('recovery');
    phaseName = 'drain';
    await Promise.all([readers, writer]);

    return {
      scenario,
      summaries: phases.map((phase) => summarizePhase(db, [log], writes, phase)),
      errorEvents,
    };
  } finally {
    offEvents();
    await cache.close();
  }
}

function scenarioName(scenario: Scenario): string {
  return `${scenario.store} · ${scenario.fault} · ${scenario.writer} · ${scenario.processes}p`;
}

function faultLabel(fault: FaultKind): string {
  if (fault === 'freeze') return `redis-server SIGSTOP for ${args['fault-ms']} ms, then SIGCONT`;
  if (fault === 'kill')
    return `redis-server SIGKILL, ${args['fault-ms']} ms down, then a fresh empty server on the same port`;
  return `event loop blocked ${args['stall-ms']} ms every ${args['stall-every-ms']} ms for ${args['fault-ms']} ms; Redis healthy`;
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
    `method: one Node process; a private redis-server (loopback, no persistence) restarted empty before each ` +
      `scenario; a simulated database of ${args.rows} rows (a version number each; a read takes the row's ` +
      `version when it starts and answers ${args['read-ms']} ms later, by timer); ${args.workers} workers each ` +
      `calling cache.getOrSet('row:'+id, () => db.read(id), { ttl: '${TTL}' }) in a loop with ` +
      `${args['think-ms']} ms think time, ids ${args.zipf > 0 ? `Zipf(s=${args.zipf})` : 'uniform'} over the rows; ` +
      `a writer that, ${args['writes-per-s']} times a second (not waiting for the previous one), picks a row ` +
      `the same way, commits its next version, then invalidates it: cache.delete('row:'+id), ` +
      `cache.invalidateTags(['row:'+id]) (getOrSet then tags each entry with it), or cache.set('row:'+id, ` +
      `new row). Cache: createCache({ store, prefix, timeoutMs: ${TIMEOUT_MS} }), breaker and lock defaults ` +
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
  for (const [index, scenario] of chosen.entries()) {
    console.error(`  ${scenarioName(scenario)} ...`);
    const result = await runScenario(server, scenario, index);
    results.push(result);
    console.log();
    console.log(`## ${scenarioName(scenario)}: ${faultLabel(scenario.fault)}`);
    console.log(formatTable(PHASE_HEADER, result.summaries.map(phaseRow)));
    for (const summary of result.summaries) {
      const events = Object.entries(result.errorEvents[summary.phase] ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([kind, count]) => `${kind} ×${count}`);
      const l1 = Object.entries(summary.cacheDeltas)
        .filter(([field, delta]) => ['l1.quarantines', 'l1.publishFailures'].includes(field) && delta !== 0)
        .map(([field, delta]) => `${field} +${delta}`);
      if (events.length + l1.length > 0)
        console.log(
          `${summary.phase}: error events ${events.join(', ') || 'none'}${l1.length ? `; ${l1.join(', ')}` : ''}`,
        );
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
