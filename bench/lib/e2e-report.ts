/**
 * bench/e2e.ts's tables: per mode and network, the ratios of `full` to `off`
 * against the targets, and the cold starts.
 */
import type { ColdStartResult } from './e2e-cold-start.js';
import type { ModeResult, Network } from './e2e-mode.js';
import { formatTable } from './format-table.js';
import type { LayerCounts, ShopStats } from './shop-process.js';

/** The cache layers the shop reports, in table order. */
export const LAYERS = ['page', 'fragment', 'query', 'session'] as const;

/** Targets of full against off (and full's overall hit rate). */
export const TARGETS = { throughput: 10, p50: 0.1, queries: 0.1, hitRate: 0.95, coldMaxPerText: 1 } as const;

function rate(counts: LayerCounts | undefined): number {
  if (counts === undefined) return Number.NaN;
  const total = counts.hits + counts.misses;
  return total === 0 ? Number.NaN : counts.hits / total;
}

/** Hits over lookups of every layer together. */
export function overallHitRate(stats: ShopStats): number {
  let hits = 0;
  let lookups = 0;
  for (const counts of Object.values(stats.layers)) {
    hits += counts.hits;
    lookups += counts.hits + counts.misses;
  }
  return lookups === 0 ? Number.NaN : hits / lookups;
}

/** DB queries per request the shop served, by the shop's own count. */
export function queriesPerRequest(result: ModeResult): number {
  return result.shop.requests === 0 ? Number.NaN : result.shop.dbQueries / result.shop.requests;
}

const percent = (value: number): string => (Number.isNaN(value) ? '–' : `${(value * 100).toFixed(1)} %`);
const fixed = (value: number, digits: number): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

/** The main table of one network. */
export function modeTable(results: readonly ModeResult[]): string {
  const rows = results.map((r) => {
    const served = r.shop.requests;
    const perThousand = (ms: number): string => (served === 0 ? '–' : fixed((ms * 1000) / served, 0));
    return [
      r.mode,
      thousands(r.load.rps),
      fixed(r.load.p50Ms, 2),
      fixed(r.load.p95Ms, 2),
      fixed(r.load.p99Ms, 2),
      String(r.load.errors),
      fixed(queriesPerRequest(r), 3),
      served === 0 ? '–' : fixed(r.xactCommits / served, 3),
      served === 0 ? '–' : fixed(r.tuplesRead / served, 0),
      perThousand(r.postgresCpuMs),
      ...LAYERS.map((layer) => percent(rate(r.shop.layers[layer]))),
      percent(overallHitRate(r.shop)),
      mib(r.redisUsedBytes),
    ];
  });
  return formatTable(
    [
      'mode',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'errors',
      'DB queries / req (shop)',
      'PG xacts / req',
      'PG rows read / req',
      'PG CPU ms / 1k req',
      ...LAYERS.map((layer) => `hit ${layer}`),
      'hit overall',
      'Redis used_memory',
    ],
    rows,
  );
}

/** The side counts of one network: requests served, writes, Redis CPU. */
export function sideTable(results: readonly ModeResult[]): string {
  return formatTable(
    [
      'mode',
      'autocannon requests',
      'shop requests',
      'shop DB queries',
      'PG xact_commit Δ',
      'PG rows written Δ',
      'admin writes (price)',
      'write errors',
      'Redis CPU ms / 1k req',
      'Redis empty',
    ],
    results.map((r) => [
      r.mode,
      thousands(r.load.requests),
      thousands(r.shop.requests),
      thousands(r.shop.dbQueries),
      thousands(r.xactCommits),
      thousands(r.tuplesWritten),
      `${r.writer.writes} (${r.writer.priceChanges})`,
      String(r.writer.errors),
      r.shop.requests === 0 ? '–' : fixed((r.redisCpuMs * 1000) / r.shop.requests, 0),
      mib(r.redisEmptyBytes),
    ]),
  );
}

/** full ÷ off per network, against the targets. */
export function ratioTable(results: readonly ModeResult[], networks: readonly Network[]): string {
  const rows: string[][] = [];
  for (const network of networks) {
    const off = results.find((r) => r.network === network && r.mode === 'off');
    const full = results.find((r) => r.network === network && r.mode === 'full');
    if (off === undefined || full === undefined) continue;
    const verdict = (met: boolean): string => (met ? 'met' : '**not met**');
    const throughput = full.load.rps / off.load.rps;
    const p50 = full.load.p50Ms / off.load.p50Ms;
    const queries = queriesPerRequest(full) / queriesPerRequest(off);
    const hit = overallHitRate(full.shop);
    rows.push(
      [
        network,
        `throughput full/off ≥ ${TARGETS.throughput}×`,
        `${fixed(throughput, 2)}×`,
        verdict(throughput >= TARGETS.throughput),
      ],
      [network, `p50 full/off ≤ ${TARGETS.p50}×`, `${fixed(p50, 3)}×`, verdict(p50 <= TARGETS.p50)],
      [
        network,
        `DB queries/req full/off ≤ ${TARGETS.queries}×`,
        `${fixed(queries, 3)}×`,
        verdict(queries <= TARGETS.queries),
      ],
      [
        network,
        `hit rate (full, all layers) ≥ ${TARGETS.hitRate * 100} %`,
        percent(hit),
        verdict(hit >= TARGETS.hitRate),
      ],
    );
  }
  return formatTable(['network', 'target', 'measured', 'verdict'], rows);
}

/** The cold starts: executions per distinct query text in the first second. */
export function coldStartTable(results: readonly ColdStartResult[]): string {
  return formatTable(
    [
      'network',
      'shop',
      'requests (errors)',
      'burst ms',
      'DB queries, 1st s',
      'distinct texts',
      `max executions of one text, 1st s (target ≤ ${TARGETS.coldMaxPerText} with protection)`,
      'DB queries, whole burst',
    ],
    results.map((r) => [
      r.network,
      r.label,
      `${r.requests} (${r.errors})`,
      fixed(r.burstMs, 0),
      thousands(r.firstSecond.dbQueries),
      String(r.distinctTexts),
      String(r.maxPerText),
      thousands(r.whole.dbQueries),
    ]),
  );
}

/** The most-executed text of each cold start, shortened, so a reader sees which query stampeded. */
export function coldStartWorst(results: readonly ColdStartResult[]): string {
  return results
    .map((r) => {
      const text = r.worstText.replace(/\s+/g, ' ').slice(0, 110);
      return `- ${r.network}, ${r.label}: ${r.maxPerText}× ${text === '' ? '(none)' : `\`${text}\``}`;
    })
    .join('\n');
}
