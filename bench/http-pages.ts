/**
 * Pages served from the page cache, against the framework's own "hello world"
 * and the uncached page; and the caching proxy's hit path against a bare
 * node:http server returning the same bytes. Load from autocannon at 50
 * connections (keep-alive), every server in its own process, configurations
 * interleaved round by round.
 *
 *   node --import tsx bench/http-pages.ts [--rounds 3] [--seconds 5] [--connections 50]
 *
 * Targets (issue 11): a page-cache hit costs at most 1.3x the framework's
 * hello-world latency (p50, same run); the proxy's hit path serves at least
 * 0.7x the requests/s of the bare server.
 *
 * Uses the shared Redis at REDIS_URL under a unique prefix, deleted at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { createClient, type RedisClientType } from 'redis';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import { larderBuild } from './lib/larder-shared.js';
import { numericArgs } from './lib/parse-args.js';
import { redisVersion } from './lib/redis-version.js';
import { type Spread, spread } from './lib/stats.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({ rounds: 3, seconds: 5, connections: 50 });
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `larder-bench.http.${process.pid}-${randomBytes(4).toString('hex')}`;
const SERVER = new URL('./lib/http-page-server.ts', import.meta.url).pathname;

interface Config {
  readonly id: string;
  readonly group: string;
  readonly label: string;
  readonly env: Record<string, string>;
  /** Started after this config's server (the proxy's origin). */
  readonly origin?: string;
}

const FRAMEWORKS = ['express', 'fastify', 'hono'] as const;
const CONFIGS: Config[] = [
  ...FRAMEWORKS.flatMap((front) => [
    {
      id: `${front}-hello`,
      group: front,
      label: 'hello world (no cache)',
      env: { FRONT: front, MODE: 'hello' },
    },
    {
      id: `${front}-static`,
      group: front,
      label: 'the page’s bytes, rendered once (no cache)',
      env: { FRONT: front, MODE: 'static' },
    },
    { id: `${front}-page`, group: front, label: 'page, uncached', env: { FRONT: front, MODE: 'page' } },
    {
      id: `${front}-redis`,
      group: front,
      label: 'page-cache hit, Redis store',
      env: { FRONT: front, MODE: 'redis' },
    },
    {
      id: `${front}-tiered`,
      group: front,
      label: 'page-cache hit, tiered (L1 + Redis)',
      env: { FRONT: front, MODE: 'tiered' },
    },
  ]),
  {
    id: 'node-bare',
    group: 'proxy',
    label: 'bare node:http, same bytes',
    env: { FRONT: 'node', MODE: 'page' },
  },
  {
    id: 'proxy-memory',
    group: 'proxy',
    label: 'proxy hit, memory store',
    env: { FRONT: 'proxy', MODE: 'memory' },
    origin: 'node-bare',
  },
  {
    id: 'proxy-redis',
    group: 'proxy',
    label: 'proxy hit, Redis store',
    env: { FRONT: 'proxy', MODE: 'redis' },
    origin: 'node-bare',
  },
  {
    id: 'proxy-tiered',
    group: 'proxy',
    label: 'proxy hit, tiered (L1 + Redis)',
    env: { FRONT: 'proxy', MODE: 'tiered' },
    origin: 'node-bare',
  },
];

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startServer(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, ...env, REDIS_URL: redisUrl, PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server ${JSON.stringify(env)} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/` };
}

async function stop(running: Running): Promise<void> {
  running.child.kill('SIGTERM');
  if (running.child.exitCode === null) await once(running.child, 'exit');
}

interface Measure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly hits: number;
}

async function load(url: string, seconds: number): Promise<Measure> {
  const result = await autocannon({
    url,
    connections: args.connections,
    duration: seconds,
    headers: { host: '127.0.0.1' },
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    hits: result.requests.total,
  };
}

/** Checks one response, so a broken server is not measured as a fast one. */
async function probe(url: string, config: Config): Promise<string> {
  const response = await fetch(url, { headers: { host: '127.0.0.1' } });
  const body = await response.text();
  if (response.status !== 200 || body.length < 10) throw new Error(`${config.id}: status ${response.status}`);
  return response.headers.get('cache-status') ?? '-';
}

const client: RedisClientType = createClient({ url: redisUrl });
await client.connect();
const results = new Map<string, Measure[]>();
try {
  console.log(describeEnvironment(await redisVersion(client)));
  console.log(`library: ${larderBuild}`);
  console.log(
    `express ${packageVersion('express')}, fastify ${packageVersion('fastify')}, hono ${packageVersion('hono')} (@hono/node-server ${packageVersion('@hono/node-server')}), autocannon ${packageVersion('autocannon')}; ${args.connections} connections, keep-alive, ${args.seconds} s per run after a 1 s warm-up, ${args.rounds} rounds interleaved; page ~4 KB HTML`,
  );
  for (let round = 1; round <= args.rounds; round++) {
    for (const config of CONFIGS) {
      const originConfig = CONFIGS.find((c) => c.id === config.origin);
      const origin = originConfig === undefined ? undefined : await startServer(originConfig.env);
      const server = await startServer({
        ...config.env,
        ...(origin === undefined ? {} : { ORIGIN: origin.url.slice(0, -1) }),
      });
      try {
        await probe(server.url, config);
        const status = await probe(server.url, config);
        if (/-(redis|tiered|memory)$/.test(config.id)) {
          if (!/hit/.test(status))
            throw new Error(`${config.id}: the measured responses are not hits (${status})`);
        }
        await load(server.url, 1);
        const measure = await load(server.url, args.seconds);
        results.set(config.id, [...(results.get(config.id) ?? []), measure]);
        console.error(`round ${round}: ${config.id} ${measure.rps.toFixed(0)} req/s, p50 ${measure.p50} ms`);
      } finally {
        await stop(server);
        if (origin !== undefined) await stop(origin);
      }
    }
  }
} finally {
  await deletePrefix(client, prefix);
  await client.close();
}

const summary = (id: string, pick: (m: Measure) => number): Spread =>
  spread((results.get(id) ?? []).map(pick));
const fmt = (s: Spread, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const rows: string[][] = [];
for (const config of CONFIGS) {
  const runs = results.get(config.id) ?? [];
  rows.push([
    config.group,
    config.label,
    fmt(summary(config.id, (m) => m.rps)),
    fmt(
      summary(config.id, (m) => m.p50),
      2,
    ),
    fmt(
      summary(config.id, (m) => m.p99),
      2,
    ),
    String(runs.reduce((sum, m) => sum + m.non2xx, 0)),
  ]);
}
console.log();
console.log(
  formatTable(['front', 'configuration', 'req/s median (range)', 'p50 ms', 'p99 ms', 'errors'], rows),
);

/** Per-round ratio medians: each round's figures against the same round's baseline. */
function ratio(id: string, base: string, pick: (m: Measure) => number): Spread {
  const a = results.get(id) ?? [];
  const b = results.get(base) ?? [];
  return spread(a.map((m, i) => pick(m) / pick(b[i] as Measure)));
}
console.log();
const verdicts: string[][] = [];
for (const front of FRAMEWORKS) {
  for (const store of ['redis', 'tiered']) {
    // Mean latency at a fixed number of connections is connections ÷ throughput, so the
    // latency ratio is the inverse throughput ratio, per round.
    const byHello = ratio(`${front}-hello`, `${front}-${store}`, (m) => m.rps);
    verdicts.push([
      `${front} hit (${store}) latency vs hello world`,
      `${fmt(byHello, 2)}x`,
      '≤ 1.30x',
      byHello.median <= 1.3 ? 'MET' : 'NOT MET',
    ]);
    const byStatic = ratio(`${front}-static`, `${front}-${store}`, (m) => m.rps);
    verdicts.push([
      `${front} hit (${store}) latency vs the same bytes without a cache`,
      `${fmt(byStatic, 2)}x`,
      '(context)',
      '',
    ]);
  }
}
for (const store of ['memory', 'redis', 'tiered']) {
  const r = ratio(`proxy-${store}`, 'node-bare', (m) => m.rps);
  verdicts.push([
    `proxy hit (${store}) req/s vs bare node:http`,
    `${fmt(r, 2)}x`,
    '≥ 0.70x',
    r.median >= 0.7 ? 'MET' : 'NOT MET',
  ]);
}
console.log(
  'Latency ratios are mean latencies at a fixed 50 connections (hello req/s ÷ hit req/s, per round); autocannon’s p50 is whole milliseconds at these speeds.',
);
console.log(formatTable(['target', 'per-round ratio median (range)', 'target', 'verdict'], verdicts));
console.log(`raw results: ${writeResults('http-pages', Object.fromEntries(results))}`);
