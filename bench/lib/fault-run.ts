/**
 * One scenario of bench/faults.ts from start to end: a fresh Redis and
 * database, the cache(s), a fill, then the load through three phases while a
 * controller applies and lifts the fault at the phase edges and samples the
 * counters there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisServer } from '../../src/test-support/redis-server.js';
import { createRandom } from './create-random.js';
import { startFaultChild } from './fault-child.js';
import { FaultDatabase, monotonicMs } from './fault-database.js';
import {
  createPicker,
  createReadLog,
  createWriteLog,
  loggedRead,
  runReaders,
  runWriter,
} from './fault-load.js';
import { type Phase, type PhaseSummary, summarizePhase } from './fault-phases.js';
import type { Scenario } from './fault-scenarios.js';
import { StateLog, watchBreaker } from './fault-states.js';
import { openSubject } from './fault-subject.js';

/** The load and the fault, as bench/faults.ts's options give them. */
export interface RunSettings {
  readonly warmMs: number;
  readonly faultMs: number;
  readonly recoveryMs: number;
  readonly workers: number;
  readonly rows: number;
  readonly thinkMs: number;
  readonly writesPerS: number;
  readonly readMs: number;
  readonly zipf: number;
  readonly stallMs: number;
  readonly stallEveryMs: number;
  /** Calls a stalling "request handler" starts just before it blocks the loop. */
  readonly stallBurst: number;
  readonly seed: number;
}

/** Per phase: breaker openings and time not closed (from its channel), time the tiered L1 was not live (sampled every 10 ms). */
export interface StateTimes {
  readonly breakerOpenings: Record<string, number>;
  readonly breakerNotClosedMs: Record<string, number>;
  readonly l1NotLiveMs: Record<string, number>;
  /** When the breaker was last not closed, ms after the fault was lifted, or undefined. */
  readonly lastNotClosedInRecoveryMs: number | undefined;
}

/** What one process saw. */
export interface ProcessResult {
  readonly process: 'bench' | 'child';
  readonly summaries: PhaseSummary[];
  /** `operation code` of every error event, per phase. */
  readonly errorEvents: Record<string, Record<string, number>>;
  /** Sampled in the bench process only. */
  readonly states: StateTimes | undefined;
}

/** A scenario's result. */
export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly processes: ProcessResult[];
}

/** Block the event loop for `ms`: what a long synchronous job (a big JSON.parse, a sync crypto call) does. */
function stall(ms: number): void {
  const until = monotonicMs() + ms;
  while (monotonicMs() < until) {
    // Spin: nothing else in this process runs meanwhile, timers and socket reads included.
  }
}

function deltas(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(after)) out[field] = value - (before[field] ?? 0);
  return out;
}

function stateTimes(breaker: StateLog, l1: StateLog, phases: readonly Phase[]): StateTimes {
  const times: StateTimes = {
    breakerOpenings: {},
    breakerNotClosedMs: {},
    l1NotLiveMs: {},
    lastNotClosedInRecoveryMs: undefined,
  };
  for (const { name, startAt, endAt } of phases) {
    times.breakerOpenings[name] = breaker.entries('open', startAt, endAt);
    times.breakerNotClosedMs[name] = breaker.msNotIn('closed', startAt, endAt);
    times.l1NotLiveMs[name] = l1.msNotIn('live', startAt, endAt);
  }
  const recovery = phases[phases.length - 1];
  const last = recovery && breaker.lastNotIn('closed', recovery.startAt, recovery.endAt);
  return {
    ...times,
    lastNotClosedInRecoveryMs: recovery && last !== undefined ? last - recovery.startAt : undefined,
  };
}

/**
 * Apply the fault at the start of the fault phase and run it until `endAt`
 * (stalls), or until lifted. A stall is what a request handler does when it
 * starts `stallBurst` cache reads (`burst`), then blocks the loop (a big
 * `JSON.stringify`): the replies arrive meanwhile but are read only after.
 */
async function applyFault(
  server: RedisServer,
  scenario: Scenario,
  settings: RunSettings,
  endAt: number,
  burst: () => Promise<unknown>,
): Promise<Promise<unknown>[]> {
  const bursts: Promise<unknown>[] = [];
  if (scenario.fault === 'freeze') server.freeze();
  else if (scenario.fault === 'kill') await server.kill();
  else {
    while (monotonicMs() + settings.stallMs <= endAt) {
      bursts.push(burst());
      stall(settings.stallMs);
      await sleep(Math.min(settings.stallEveryMs - settings.stallMs, endAt - monotonicMs()));
    }
  }
  return bursts;
}

async function liftFault(server: RedisServer, scenario: Scenario): Promise<void> {
  if (scenario.fault === 'freeze') server.thaw();
  else if (scenario.fault === 'kill') await server.restart();
}

/**
 * Run `scenario` on `server` (restarted empty first). `index` makes the
 * cache prefix and bus channel unique to the scenario.
 */
export async function runScenario(
  server: RedisServer,
  scenario: Scenario,
  index: number,
  settings: RunSettings,
): Promise<ScenarioResult> {
  await server.restart();
  const db = new FaultDatabase(settings.rows, settings.readMs);
  const prefix = `faults${index}`;
  const subject = await openSubject(scenario.store, scenario.writer, server.url, prefix);
  const child = scenario.processes === 2 ? startFaultChild(db) : undefined;
  const errorEvents: Record<string, Record<string, number>> = {};
  let phaseName = 'fill';
  const offEvents = subject.cache.on('error', ({ operation, code }) => {
    const counts = errorEvents[phaseName] ?? {};
    errorEvents[phaseName] = counts;
    counts[`${operation} ${code}`] = (counts[`${operation} ${code}`] ?? 0) + 1;
  });
  const load = (id: number) => db.read(id);
  const breaker = new StateLog(subject.states().breaker);
  const stopWatching = watchBreaker(prefix, breaker);
  const l1 = new StateLog(subject.states().l1 ?? 'live');
  const sampler = setInterval(() => l1.record(subject.states().l1 ?? 'live'), 10);
  try {
    // Fill every row once, 50 at a time, so the warm phase is the steady state.
    for (let id = 0; id < settings.rows; id += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, settings.rows - id) }, (_, offset) =>
          subject.read(id + offset, load),
        ),
      );
    await child?.request(
      {
        type: 'open',
        store: scenario.store,
        writer: scenario.writer,
        url: server.url,
        prefix,
        rows: settings.rows,
      },
      'opened',
    );

    const startAt = monotonicMs();
    const faultAt = startAt + settings.warmMs;
    const faultEndAt = faultAt + settings.faultMs;
    const stopAt = faultEndAt + settings.recoveryMs;
    const pick = createPicker(createRandom(settings.seed + index), settings.rows, settings.zipf);
    const log = createReadLog();
    const writes = createWriteLog();
    const readers = runReaders(
      {
        workers: settings.workers,
        thinkMs: settings.thinkMs,
        stopAt,
        pick,
        read: (id) => subject.read(id, load),
      },
      log,
    );
    const childDone = child?.request(
      {
        type: 'run',
        workers: settings.workers,
        thinkMs: settings.thinkMs,
        zipf: settings.zipf,
        seed: settings.seed + index + 1000,
        stopAt,
      },
      'done',
    );
    const writer = runWriter(
      {
        ratePerS: settings.writesPerS,
        stopAt,
        pick,
        write(id) {
          const { row, committedAt } = db.commit(id);
          return { committedAt, invalidation: subject.invalidate(row) };
        },
      },
      writes,
    );

    // The controller: at each edge, sample the counters of both processes, then apply or lift the fault.
    const phases: Phase[] = [];
    const childPhases: Phase[] = [];
    let edgeAt = startAt;
    let edgeReads = db.reads;
    let edgeStats = subject.stats();
    let childStats =
      child === undefined ? {} : (await child.request({ type: 'sample', next: 'warm' }, 'sample')).stats;
    phaseName = 'warm';
    const closePhase = async (name: string, next: string) => {
      const now = monotonicMs();
      const stats = subject.stats();
      const dbReads = db.reads - edgeReads;
      phases.push({ name, startAt: edgeAt, endAt: now, dbReads, cacheDeltas: deltas(stats, edgeStats) });
      phaseName = next;
      if (child !== undefined) {
        const sample = await child.request({ type: 'sample', next }, 'sample');
        childPhases.push({
          name,
          startAt: edgeAt,
          endAt: now,
          dbReads,
          cacheDeltas: deltas(sample.stats, childStats),
        });
        childStats = sample.stats;
      }
      edgeAt = now;
      edgeReads = db.reads;
      edgeStats = stats;
    };
    await sleep(faultAt - monotonicMs());
    await closePhase('warm', scenario.fault);
    const bursts = await applyFault(server, scenario, settings, faultEndAt, () =>
      Promise.all(
        Array.from({ length: settings.stallBurst }, () =>
          loggedRead((id) => subject.read(id, load), pick(), log),
        ),
      ),
    );
    await sleep(faultEndAt - monotonicMs());
    await closePhase(scenario.fault, 'recovery');
    await liftFault(server, scenario);
    await sleep(stopAt - monotonicMs());
    await closePhase('recovery', 'drain');
    const [, , childLog] = await Promise.all([readers, writer, childDone, ...bursts]);

    const processes: ProcessResult[] = [
      {
        process: 'bench',
        summaries: phases.map((phase) => summarizePhase(db, [log], writes, phase)),
        errorEvents,
        states: stateTimes(breaker, l1, phases),
      },
    ];
    if (childLog !== undefined) {
      processes.push({
        process: 'child',
        summaries: childPhases.map((phase) => summarizePhase(db, [childLog.log], writes, phase)),
        errorEvents: childLog.errorEvents,
        states: undefined,
      });
    }
    return { scenario, processes };
  } finally {
    clearInterval(sampler);
    stopWatching();
    offEvents();
    await child?.close();
    await subject.cache.close();
  }
}
