/**
 * Parse + classify cost of `larder/sql`'s analyzer, per distinct statement (a
 * cold parse: libpg-query's WASM parser, the tree walk, normalization for the
 * fingerprint) and per repeated statement (a hit in `SqlAnalyzer`'s parse
 * cache), for four representative statements. Synchronous loops on one
 * thread, clock read per batch; configurations interleaved, order rotated
 * each round.
 *
 *   node --import tsx bench/sql-parse.ts [--runs 7] [--duration-ms 250] [--warmup-ms 100]
 */
import type * as LibPgQuery from 'libpg-query';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import { analyzeSql, larderBuild, loadSqlParser, type SqlAnalysis, SqlAnalyzer } from './lib/larder-sql.js';
import { numericArgs } from './lib/parse-args.js';
import { type Spread, spread } from './lib/stats.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({ runs: 7, 'duration-ms': 250, 'warmup-ms': 100 });

const STATEMENTS = [
  { name: 'PK lookup', sql: 'SELECT * FROM products WHERE id = $1', bypass: undefined },
  {
    name: '3-way join with CTE',
    sql:
      'WITH recent AS (SELECT customer_id, max(created_at) AS last_order FROM orders WHERE created_at > $1 ' +
      'GROUP BY customer_id) SELECT c.id, c.name, a.city, r.last_order FROM customers c ' +
      'JOIN addresses a ON a.customer_id = c.id JOIN recent r ON r.customer_id = c.id ' +
      'WHERE a.country = $2 ORDER BY r.last_order DESC LIMIT 50',
    bypass: undefined,
  },
  {
    name: 'writable CTE',
    sql:
      'WITH moved AS (DELETE FROM job_queue WHERE id IN (SELECT id FROM job_queue WHERE state = $1 ' +
      'ORDER BY priority LIMIT 10) RETURNING *) INSERT INTO job_archive SELECT * FROM moved RETURNING id',
    bypass: 'write',
  },
  {
    name: 'ORM select, 20 columns',
    sql:
      `select ${(
        'id name slug sku description price currency category_id brand_id stock weight width height depth ' +
        'color rating review_count active created_at updated_at'
      )
        .split(' ')
        .map((column) => `"products"."${column}"`)
        .join(', ')} from "products" where ("products"."category_id" = $1 and "products"."active" = $2) ` +
      'order by "products"."price" asc limit $3',
    bypass: undefined,
  },
] as const;

// Timed before anything else imports libpg-query, which starts compiling its WASM on import.
const loadStartedMs = performance.now();
await loadSqlParser();
const loadMs = performance.now() - loadStartedMs;
const libpg = (await import('libpg-query')) as typeof LibPgQuery;
await libpg.loadModule();

type Operation = (index: number) => unknown;

interface Config {
  readonly statement: (typeof STATEMENTS)[number];
  readonly measure: string;
  readonly op: Operation;
  /** Operations between clock readings. */
  readonly batch: number;
}

let distinct = 0;
const configs: Config[] = STATEMENTS.flatMap((statement) => {
  const { sql } = statement;
  const analyzer = new SqlAnalyzer();
  const cold = new SqlAnalyzer();
  analyzer.analyze(sql);
  const middle = sql.length >> 1;
  const [head, tail] = [sql.slice(0, middle), sql.slice(middle)];
  return [
    { statement, measure: 'analyzeSql (no cache)', op: () => analyzeSql(sql), batch: 20 },
    // A new text every call (a trailing comment differs), through the cache: miss, insert, evictions.
    {
      statement,
      measure: 'SqlAnalyzer, new text',
      op: () => cold.analyze(`${sql} -- ${distinct++}`),
      batch: 20,
    },
    { statement, measure: '  of which parseSync', op: () => libpg.parseSync(sql), batch: 20 },
    { statement, measure: '  of which normalizeSync', op: () => libpg.normalizeSync(sql), batch: 20 },
    { statement, measure: 'SqlAnalyzer hit, same string', op: () => analyzer.analyze(sql), batch: 20_000 },
    // An ORM builds the text anew per query: the lookup flattens and hashes the new string.
    {
      statement,
      measure: 'SqlAnalyzer hit, text rebuilt',
      op: () => analyzer.analyze(head + tail),
      batch: 5_000,
    },
  ];
});

/** Nanoseconds per operation over `durationMs` (after `warmupMs` untimed). */
function measure(config: Config, durationMs: number, warmupMs: number): number {
  let index = 0;
  let sink = 0;
  const drive = (untilMs: number) => {
    const startIndex = index;
    const startedMs = performance.now();
    let nowMs = startedMs;
    while (nowMs < untilMs) {
      for (const end = index + config.batch; index < end; index++) if (config.op(index) === undefined) sink++;
      nowMs = performance.now();
    }
    return { ops: index - startIndex, elapsedMs: nowMs - startedMs };
  };
  drive(performance.now() + warmupMs);
  const { ops, elapsedMs } = drive(performance.now() + durationMs);
  if (sink > 0) throw new Error(`${config.measure}: an operation returned undefined`);
  return (elapsedMs * 1e6) / ops;
}

console.log('# SQL analyzer: parse + classify per distinct and per repeated statement');
console.log(describeEnvironment('(not used)'));
console.log(`library: ${larderBuild}; libpg-query ${packageVersion('libpg-query')} (WASM)`);
console.log(
  `method: one Node thread, synchronous loops, clock read per batch (20 operations for parses, 5,000–20,000 ` +
    `for hits); ${configs.length} configurations x ${args.runs} runs of ${args['duration-ms']} ms ` +
    `(+${args['warmup-ms']} ms warm-up each, 4x before the first), interleaved, order rotated each round; ` +
    `"analyzeSql" = the uncached analysis of one text (parse, walk, normalize, fingerprint); "new text" = ` +
    `SqlAnalyzer (default 1,000 entries) fed a new text per call (the statement plus a distinct trailing ` +
    `comment), so every call misses and inserts; parseSync / normalizeSync = libpg-query alone on the same text; ` +
    `"hit, same string" = the same string object every call (its hash is cached by V8); "hit, text rebuilt" = ` +
    `the text concatenated from two halves per call, as an ORM builds it, so the lookup flattens and hashes it.`,
);
console.log(`parser load (dynamic import + WASM instantiation, once per process): ${loadMs.toFixed(1)} ms`);

const runs = new Map<Config, number[]>(configs.map((config) => [config, []]));
for (let round = 0; round < args.runs; round++) {
  const order = [...configs.slice(round % configs.length), ...configs.slice(0, round % configs.length)];
  for (const config of order) {
    const warmupMs = round === 0 ? 4 * args['warmup-ms'] : args['warmup-ms'];
    runs.get(config)?.push(measure(config, args['duration-ms'], warmupMs));
  }
  console.error(`  round ${round + 1}/${args.runs} done`);
}

const format = (ns: Spread) =>
  ns.median >= 10_000
    ? `${(ns.median / 1000).toFixed(0)} µs (${(ns.min / 1000).toFixed(0)}–${(ns.max / 1000).toFixed(0)})`
    : ns.median >= 1000
      ? `${(ns.median / 1000).toFixed(1)} µs (${(ns.min / 1000).toFixed(1)}–${(ns.max / 1000).toFixed(1)})`
      : `${ns.median.toFixed(0)} ns (${ns.min.toFixed(0)}–${ns.max.toFixed(0)})`;

const summaries = configs.map((config) => ({ config, ns: spread(runs.get(config) ?? []) }));
const measures = [...new Set(configs.map((config) => config.measure))];
console.log();
console.log(
  formatTable(
    ['per call, median (min–max)', ...STATEMENTS.map((statement) => statement.name)],
    measures.map((name) => [
      name,
      ...STATEMENTS.map((statement) => {
        const found = summaries.find(
          ({ config }) => config.statement === statement && config.measure === name,
        );
        return found === undefined ? '' : format(found.ns);
      }),
    ]),
  ),
);

console.log();
console.log(
  formatTable(
    ['statement', 'chars', 'kind', 'bypass', 'reads', 'writes', 'fingerprint'],
    STATEMENTS.map((statement) => {
      const analysis: SqlAnalysis = analyzeSql(statement.sql);
      if (analysis.bypass !== statement.bypass)
        throw new Error(`${statement.name}: bypass ${analysis.bypass}, expected ${statement.bypass}`);
      const names = (refs: SqlAnalysis['reads']) => refs.map((ref) => ref.name).join(' ');
      return [
        statement.name,
        String(statement.sql.length),
        analysis.statements.map((s) => s.kind).join(),
        analysis.bypass ?? '(cacheable)',
        names(analysis.reads),
        names(analysis.writes),
        analysis.fingerprint.length > 40 ? `${analysis.fingerprint.slice(0, 40)}…` : analysis.fingerprint,
      ];
    }),
  ),
);
console.log(
  `raw results: ${writeResults('sql-parse', {
    args,
    loadMs,
    results: summaries.map(({ config, ns }) => ({
      statement: config.statement.name,
      measure: config.measure,
      ns,
    })),
  })}`,
);
