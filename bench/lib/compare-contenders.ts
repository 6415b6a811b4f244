/**
 * Runs every contender at every concurrency, interleaved run by run (in an order
 * rotated each round), so slow drift of the machine (thermal, other tenants,
 * Redis memory) spreads over all of them instead of favouring whoever ran first.
 */
import type { Contender, Fixture } from './contender.js';
import { formatTable } from './format-table.js';
import { type RunResult, runOnce, summarize, type ThroughputResult } from './run-throughput.js';
import { formatMicros, formatSpread } from './stats.js';

/** How to compare. */
export interface CompareOptions {
  readonly contenders: readonly Contender[];
  readonly fixture: Fixture;
  readonly concurrencies: readonly number[];
  /** @default 3 */
  readonly runs?: number;
  readonly durationMs: number;
  /** Before every measured run. @default 300 */
  readonly warmupMs?: number;
  /** Called after each measured run, e.g. to print progress. */
  readonly onRun?: (name: string, concurrency: number, run: RunResult) => void;
}

/**
 * Measure all contenders; the result lists them per concurrency in the order
 * given. Teardown always runs, even when a contender fails.
 * @example
 * const results = await compareContenders({ contenders, fixture, concurrencies: [1, 50], durationMs: 2000 });
 */
export async function compareContenders(options: CompareOptions): Promise<ThroughputResult[]> {
  const ready: Array<{ contender: Contender; keys: readonly string[] }> = [];
  try {
    for (const contender of options.contenders) {
      ready.push({ contender, keys: await contender.setup(options.fixture) });
    }
    const runs = new Map<string, RunResult[]>();
    for (let round = 0; round < (options.runs ?? 3); round++) {
      for (const concurrency of options.concurrencies) {
        // Rotate the order every round: the first contender after a change of
        // concurrency (or after setup) meets a machine in another state (at 1 in
        // flight this VM alternates between ~20 µs and ~110 µs round trips), so no
        // contender may always take that slot.
        for (const { contender, keys } of rotate(ready, round)) {
          const op = (index: number) => contender.get(keys[index % keys.length] as string);
          const result = await runOnce({
            op,
            concurrency,
            durationMs: options.durationMs,
            warmupMs: round === 0 ? 4 * (options.warmupMs ?? 300) : (options.warmupMs ?? 300),
          });
          const id = `${concurrency}\u0000${contender.name}`;
          runs.set(id, [...(runs.get(id) ?? []), result]);
          options.onRun?.(contender.name, concurrency, result);
        }
      }
    }
    return options.concurrencies.flatMap((concurrency) =>
      ready.map(({ contender }) =>
        summarize(contender.name, concurrency, runs.get(`${concurrency}\u0000${contender.name}`) ?? []),
      ),
    );
  } finally {
    for (const { contender } of ready.reverse()) {
      await contender
        .teardown()
        .catch((error: unknown) => console.error(`teardown of ${contender.name} failed:`, error));
    }
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * A Markdown table of `results` with, per concurrency, each contender's median
 * ops/s as a ratio of the fastest contender at that concurrency (same run).
 */
export function formatComparison(results: readonly ThroughputResult[]): string {
  const best = new Map<number, number>();
  for (const result of results) {
    best.set(result.concurrency, Math.max(best.get(result.concurrency) ?? 0, result.opsPerSec.median));
  }
  return formatTable(
    ['contender', 'in flight', 'ops/s median (min–max)', 'vs best', 'p50', 'p99', 'runs'],
    results.map((result) => [
      result.name,
      String(result.concurrency),
      formatSpread(result.opsPerSec),
      `${(result.opsPerSec.median / (best.get(result.concurrency) ?? Number.NaN)).toFixed(2)}x`,
      formatMicros(result.p50Ms),
      formatMicros(result.p99Ms),
      String(result.runs.length),
    ]),
  );
}
