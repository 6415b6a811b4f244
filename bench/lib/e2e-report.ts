/**
 * bench/e2e.ts's tables: per mode and network, the ratios of `full` to `off`
 * against the targets, and the cold starts.
 */
import type { ColdStartResult } from './e2e-cold-start.js';
import type { ModeResult, Network } from './e2e-mode.js';
import { formatTable } from './format-table.js';
import type { LayerCounts, ShopStats } from './shop-process.js';
import { type Spread, spread } from './stats.js';

/** The cache layers in table order; others the shop reports (a session layer) follow. */
const KNOWN_LAYERS = ['page', 'fragment', 'query', 'session'];

/** The layers that any result reports, known ones first. */
function layersOf(results: readonly ModeResult[]): string[] {
  const seen = new Set(results.flatMap((r) => Object.keys(r.shop.layers)));
  return [
    ...KNOWN_LAYERS.filter((layer) => seen.has(layer)),
    ...[...seen].filter((l) => !KNOWN_LAYERS.includes(l)),
  ];
}

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

/** The per-window figures the tables show, by column. */
function figures(r: ModeResult): Record<string, number> {
  const served = r.shop.requests;
  const per = (value: number): number => (served === 0 ? Number.NaN : value / served);
  const out: Record<string, number> = {
    rps: r.load.rps,
    p50: r.load.p50Ms,
    p95: r.load.p95Ms,
    p99: r.load.p99Ms,
    errors: r.load.errors,
    queries: queriesPerRequest(r),
    xacts: per(r.xactCommits),
    rowsRead: per(r.tuplesRead),
    postgresCpu: per(r.postgresCpuMs) * 1000,
    redisCpu: per(r.redisCpuMs) * 1000,
    overall: overallHitRate(r.shop),
    memory: r.redisUsedBytes,
    emptyMemory: r.redisEmptyBytes,
    autocannonRequests: r.load.requests,
    shopRequests: served,
    dbQueries: r.shop.dbQueries,
    xactCommits: r.xactCommits,
    rowsWritten: r.tuplesWritten,
    writes: r.writer.writes,
    priceChanges: r.writer.priceChanges,
    writeErrors: r.writer.errors,
  };
  for (const [layer, counts] of Object.entries(r.shop.layers)) out[`hit:${layer}`] = rate(counts);
  return out;
}

/** Rounds of one network and mode, in mode order. */
function groups(results: readonly ModeResult[]): ModeResult[][] {
  const byKey = new Map<string, ModeResult[]>();
  for (const r of results) {
    const key = `${r.network}/${r.mode}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return [...byKey.values()];
}

/** Median of a column over rounds (NaN rounds left out). */
function median(group: readonly ModeResult[], column: string): Spread {
  return spread(group.map((r) => figures(r)[column] ?? Number.NaN).filter((v) => !Number.isNaN(v)));
}

/** `median (min–max)` when there is more than one round, else the value. */
function withRange(value: Spread, rounds: number, format: (n: number) => string): string {
  if (Number.isNaN(value.median)) return '–';
  return rounds > 1
    ? `${format(value.median)} (${format(value.min)}–${format(value.max)})`
    : format(value.median);
}

/** The median figures of one network and mode over its rounds: for the chart. */
export function medianFigures(results: readonly ModeResult[]): Map<string, { p50: number; queries: number }> {
  const out = new Map<string, { p50: number; queries: number }>();
  for (const group of groups(results)) {
    const first = group[0];
    if (first === undefined) continue;
    out.set(`${first.network}/${first.mode}`, {
      p50: median(group, 'p50').median,
      queries: median(group, 'queries').median,
    });
  }
  return out;
}

/** The main table of one network: medians over rounds, with the range for req/s and p50. */
export function modeTable(results: readonly ModeResult[]): string {
  const layers = layersOf(results);
  const rows = groups(results).map((group) => {
    const rounds = group.length;
    const m = (column: string): number => median(group, column).median;
    return [
      group[0]?.mode ?? '?',
      withRange(median(group, 'rps'), rounds, thousands),
      withRange(median(group, 'p50'), rounds, (v) => fixed(v, 2)),
      fixed(m('p95'), 2),
      fixed(m('p99'), 2),
      String(group.reduce((sum, r) => sum + r.load.errors, 0)),
      withRange(median(group, 'queries'), rounds, (v) => fixed(v, 3)),
      fixed(m('xacts'), 3),
      fixed(m('rowsRead'), 0),
      fixed(m('postgresCpu'), 0),
      ...layers.map((layer) => percent(m(`hit:${layer}`))),
      percent(m('overall')),
      mib(m('memory')),
    ];
  });
  return formatTable(
    [
      'mode',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'errors (all rounds)',
      'DB queries / req (shop)',
      'PG xacts / req',
      'PG rows read / req',
      'PG CPU ms / 1k req',
      ...layers.map((layer) => `hit ${layer}`),
      'hit overall',
      'Redis used_memory',
    ],
    rows,
  );
}

/** The side counts of one network, medians over rounds: requests served, writes, Redis CPU. */
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
      'write errors (all rounds)',
      'Redis CPU ms / 1k req',
      'Redis empty',
    ],
    groups(results).map((group) => {
      const m = (column: string): number => median(group, column).median;
      return [
        group[0]?.mode ?? '?',
        thousands(m('autocannonRequests')),
        thousands(m('shopRequests')),
        thousands(m('dbQueries')),
        thousands(m('xactCommits')),
        thousands(m('rowsWritten')),
        `${thousands(m('writes'))} (${thousands(m('priceChanges'))})`,
        String(group.reduce((sum, r) => sum + r.writer.errors, 0)),
        fixed(m('redisCpu'), 0),
        mib(m('emptyMemory')),
      ];
    }),
  );
}

/** full ÷ off per network, the ratio taken per round (median and range), against the targets. */
export function ratioTable(results: readonly ModeResult[], networks: readonly Network[]): string {
  const rows: string[][] = [];
  const verdict = (met: boolean): string => (met ? 'met' : '**not met**');
  for (const network of networks) {
    const pairs: Array<{ off: ModeResult; full: ModeResult }> = [];
    for (const full of results.filter((r) => r.network === network && r.mode === 'full')) {
      const off = results.find((r) => r.network === network && r.mode === 'off' && r.round === full.round);
      if (off !== undefined) pairs.push({ off, full });
    }
    if (pairs.length === 0) continue;
    const ratio = (f: (r: ModeResult) => number): Spread => spread(pairs.map((p) => f(p.full) / f(p.off)));
    const rounds = pairs.length;
    const throughput = ratio((r) => r.load.rps);
    const p50 = ratio((r) => r.load.p50Ms);
    const queries = ratio(queriesPerRequest);
    const hit = spread(pairs.map((p) => overallHitRate(p.full.shop)));
    rows.push(
      [
        network,
        `throughput full/off ≥ ${TARGETS.throughput}×`,
        withRange(throughput, rounds, (v) => `${fixed(v, 2)}×`),
        verdict(throughput.median >= TARGETS.throughput),
      ],
      [
        network,
        `p50 full/off ≤ ${TARGETS.p50}×`,
        withRange(p50, rounds, (v) => `${fixed(v, 3)}×`),
        verdict(p50.median <= TARGETS.p50),
      ],
      [
        network,
        `DB queries/req full/off ≤ ${TARGETS.queries}×`,
        withRange(queries, rounds, (v) => `${fixed(v, 3)}×`),
        verdict(queries.median <= TARGETS.queries),
      ],
      [
        network,
        `hit rate (full, all layers) ≥ ${TARGETS.hitRate * 100} %`,
        withRange(hit, rounds, percent),
        verdict(hit.median >= TARGETS.hitRate),
      ],
    );
  }
  return formatTable(['network', 'target', 'per-round median (range)', 'verdict'], rows);
}

/** The cold starts: executions per distinct statement (SQL text and parameters) in the first second. */
export function coldStartTable(results: readonly ColdStartResult[]): string {
  return formatTable(
    [
      'network',
      'shop',
      'requests (errors)',
      'burst ms',
      'DB queries, 1st s',
      'distinct statements',
      `max executions of one app statement, 1st s (target ≤ ${TARGETS.coldMaxPerText} with protection)`,
      "Larder's session and catalog reads, 1st s",
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
      thousands(r.larderStatements),
      thousands(r.whole.dbQueries),
    ]),
  );
}

/** The three most-executed texts of each cold start's first second, shortened, so a reader sees which queries stampeded. */
export function coldStartWorst(results: readonly ColdStartResult[]): string {
  return results
    .map((r) => {
      const top = Object.entries(r.firstSecond.queriesByStatement)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([text, count]) => `${count}× \`${text.replace(/\s+/g, ' ').slice(0, 90)}\``);
      return `- ${r.network}, ${r.label}: ${top.length === 0 ? '(no queries)' : top.join('; ')}`;
    })
    .join('\n');
}
