/**
 * The measured rounds of bench/sql-query.ts: every (statement, mode)
 * configuration runs once per round, interleaved in an order rotated each
 * round, and around every run the script records what the wrapper counted and
 * the CPU each process spent.
 */
import type pg from 'pg';
import { cpuSince, cpuSnapshot } from './cpu-snapshot.js';
import { createRandom, type Random } from './create-random.js';
import type { Cache, SqlStats } from './larder-cached-pool.js';
import { type RunResult, runOnce } from './run-throughput.js';

/** One of the two statements; `$2` is the nonce (see `SqlBenchMode.nonce`). */
export interface SqlBenchQuery {
  readonly id: 'pk' | 'category';
  readonly label: string;
  readonly text: string;
  /** The `$1` of one call. */
  readonly pick: (random: Random) => number;
}

/**
 * The modes: a raw pool, `cachedPool` missing every call, hitting Redis, or
 * hitting its L1; and, with one caller only, the floor of a miss (the bare
 * Redis lookup a miss makes before its query, no query at all).
 */
export type SqlModeId = 'raw' | 'miss' | 'hit' | 'hit-l1' | 'floor';

/** One way of sending the statements. */
export interface SqlBenchMode {
  readonly id: SqlModeId;
  readonly label: string;
  /** A pool, or for the floor anything with its `query` (the query's text and values are ignored). */
  readonly pool: Pick<pg.Pool, 'query' | 'end'>;
  /**
   * The `$2` of one call. `0` except in the miss mode, where it never repeats
   * within the run: a key that was never stored, so every call is a miss.
   */
  readonly nonce: () => number;
  readonly stats?: () => SqlStats;
  /** Reads the tiered store has sent to L2 so far (L1 misses); only for a tiered cache. */
  readonly l2Reads?: () => number;
  readonly cache?: Cache;
}

/** What the wrapper counted (warm-ups included). */
export interface SqlOutcomes {
  hits: number;
  misses: number;
  bypasses: number;
  /** Tiered cache only: reads that missed L1 and went to Redis. */
  l2Reads?: number;
}

/** CPU by process over runs (warm-ups included), and the calls those runs made (warm-ups included). */
export interface SqlCpuTotals {
  calls: number;
  node: number;
  postgres: number;
  redis: number;
}

/** One configuration's runs, in round order. */
export interface SqlConfigRuns {
  readonly query: SqlBenchQuery;
  readonly mode: SqlBenchMode;
  readonly runs: RunResult[];
  /** `undefined` for the raw pool. */
  readonly outcomes: SqlOutcomes | undefined;
  /** Zero calls where /proc is missing. */
  readonly cpu: SqlCpuTotals;
}

/** How to run the rounds. */
export interface SqlRoundsOptions {
  readonly queries: readonly SqlBenchQuery[];
  readonly modes: readonly SqlBenchMode[];
  readonly rounds: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** The first round's warm-up (cold JIT and connections). @default warmupMs */
  readonly firstWarmupMs?: number;
  /** Seeds the calls' arguments: the same seed gives the same calls. */
  readonly seed: number;
  /** Names the phase in the progress lines (stderr). */
  readonly phase: string;
}

/**
 * Run every statement in every mode once per round; the result lists the
 * configurations statement by statement, modes in the order given.
 */
export async function runSqlQueryRounds(options: SqlRoundsOptions): Promise<SqlConfigRuns[]> {
  const configs: SqlConfigRuns[] = options.queries.flatMap((query) =>
    options.modes.map((mode) => ({
      query,
      mode,
      runs: [],
      // What the runs add, not what the warming did.
      outcomes:
        mode.stats === undefined
          ? undefined
          : { hits: 0, misses: 0, bypasses: 0, ...(mode.l2Reads === undefined ? {} : { l2Reads: 0 }) },
      cpu: { calls: 0, node: 0, postgres: 0, redis: 0 },
    })),
  );
  for (let round = 0; round < options.rounds; round++) {
    const shift = round % configs.length;
    for (const config of [...configs.slice(shift), ...configs.slice(0, shift)]) {
      const seed = options.seed + 1000 * round + configs.indexOf(config);
      config.runs.push(await measureRun(config, options, round, seed));
    }
  }
  return configs;
}

async function measureRun(
  config: SqlConfigRuns,
  options: SqlRoundsOptions,
  round: number,
  seed: number,
): Promise<RunResult> {
  const { query, mode, outcomes, cpu } = config;
  const random = createRandom(seed);
  const before = outcomes === undefined ? undefined : outcomesOf(mode);
  let calls = 0;
  const cpuBefore = cpuSnapshot();
  const result = await runOnce({
    op: (_index) => {
      calls++;
      return mode.pool.query(query.text, [query.pick(random), mode.nonce()]).then((r) => r.rows[0]);
    },
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    warmupMs: round === 0 ? (options.firstWarmupMs ?? options.warmupMs) : options.warmupMs,
  });
  const cpuAfter = cpuSnapshot();
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    // Over the whole run, warm-up included, per call made (also warm-up included).
    const used = cpuSince(cpuBefore, cpuAfter);
    cpu.calls += calls;
    cpu.node += used.node;
    cpu.postgres += used.postgres;
    cpu.redis += used.redis;
  }
  if (outcomes !== undefined && before !== undefined) {
    addOutcomes(outcomes, outcomesOf(mode), 1);
    addOutcomes(outcomes, before, -1);
  }
  console.error(
    `  ${options.phase}, round ${round + 1} ${query.label}, ${mode.label}: ` +
      `${(result.opsPerSec / 1000).toFixed(1)} k ops/s, p50 ${(result.p50Ms * 1000).toFixed(0)} µs` +
      `${result.misses ? `, ${result.misses} EMPTY RESULTS` : ''}`,
  );
  return result;
}

/** The mode's counters now. */
function outcomesOf(mode: SqlBenchMode): SqlOutcomes {
  const { hits, misses, bypasses } = mode.stats?.() ?? { hits: 0, misses: 0, bypasses: 0 };
  const l2Reads = mode.l2Reads?.();
  return l2Reads === undefined ? { hits, misses, bypasses } : { hits, misses, bypasses, l2Reads };
}

/** `into += sign * counted`, field by field. */
function addOutcomes(into: SqlOutcomes, counted: SqlOutcomes, sign: 1 | -1): void {
  const { hits, misses, bypasses, l2Reads } = counted;
  into.hits += sign * hits;
  into.misses += sign * misses;
  into.bypasses += sign * bypasses;
  if (into.l2Reads !== undefined) into.l2Reads += sign * (l2Reads ?? 0);
}
