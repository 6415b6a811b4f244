/**
 * The healthy path, this tree against a baseline commit, in one run: does a
 * change (the invalidation journal's tombstone check, a second guard, the
 * stall-aware deadline) slow the hits that every request pays for?
 *
 *   npm run bench -- healthy-path                 # baseline: HEALTHY_PATH_BASE or 6ceb97e
 *   HEALTHY_PATH_BASE=<rev> npm run bench -- healthy-path
 *
 * Method: both trees are compiled by tsc as the package build does (the
 * baseline from `git archive <rev>` into .bench-out/), loaded into this one
 * process, and measured in alternating rounds (A B, then B A, ...), so that a
 * machine whose speed drifts within minutes favours neither. Three workloads,
 * one cache each per tree, on a private redis-server:
 * - memory hit: `await cache.get(k)` on a memoryStore, 1,000 hot keys, 1 caller;
 * - Redis GET hit: `cache.get(k)` on a redisStore, 50 calls in flight;
 * - tiered L1 hit: `await cache.get(k)` on a tieredStore over Redis, 1 caller
 *   (heartbeat off: a loop of awaited L1 hits never yields to hear its echo).
 * Each round runs each workload for ROUND_MS after a 300 ms warm-up. Reported:
 * median ops/s per tree, and the ratio this/baseline by medians and per round.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { buildLarder, compileLarder } from './lib/build-larder.js';
import { describeEnvironment } from './lib/describe-environment.js';
import { forkWorker } from './lib/fork-worker.js';
import { formatTable } from './lib/format-table.js';
import type { HealthyPathReply, HealthyPathRequest } from './lib/healthy-path-worker.js';
import { startRedisServer } from './lib/start-redis-server.js';
import { formatKilo, spread } from './lib/stats.js';

const ROOT = new URL('../', import.meta.url);
const BASE = process.env.HEALTHY_PATH_BASE ?? '6ceb97e';
const ROUNDS = Number(process.env.HEALTHY_PATH_ROUNDS ?? 6);
const ROUND_MS = Number(process.env.HEALTHY_PATH_ROUND_MS ?? 1_000);

/** Compile the tree at `rev` into .bench-out/ and return where its build is. */
function buildBaseline(rev: string): URL {
  const sources = new URL(`.bench-out/baseline-${rev}/`, ROOT);
  rmSync(sources, { recursive: true, force: true });
  mkdirSync(sources, { recursive: true });
  // Inside the repository, so that its imports resolve to this node_modules.
  execSync(`git archive ${rev} src tsconfig.json tsconfig.build.json | tar -x -C ${sources.pathname}`, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const dist = new URL('dist/', sources);
  compileLarder(sources, dist);
  process.once('exit', () => rmSync(sources, { recursive: true, force: true }));
  return dist;
}

const currentDist = new URL(`.bench-out/healthy-path-current-${process.pid}/`, ROOT);
const currentVersion = buildLarder(currentDist);
process.once('exit', () => rmSync(currentDist, { recursive: true, force: true }));
const builds = [
  { label: `this tree (${currentVersion})`, dist: currentDist },
  { label: `baseline ${BASE}`, dist: buildBaseline(BASE) },
];

const server = await startRedisServer();
// One process per tree, so that neither tree's timers or loops disturb the other's.
const workers = builds.map(() =>
  forkWorker<HealthyPathRequest, HealthyPathReply>(new URL('./lib/healthy-path-worker.ts', import.meta.url)),
);
let names: readonly string[] = [];
/** ops/s per workload, per tree, per round. */
let results: number[][][] = [];
try {
  for (const [index, worker] of workers.entries()) {
    const reply = await worker.request({
      type: 'setup',
      dist: (builds[index] as { dist: URL }).dist.href,
      url: server.url,
      prefix: `hp${index}-${process.pid}`,
    });
    if (reply.type === 'ready') names = reply.workloads;
  }
  results = names.map(() => builds.map(() => [] as number[]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const [w, name] of names.entries()) {
      for (const l of order) {
        const reply = await (workers[l] as (typeof workers)[number]).request({
          type: 'run',
          workload: name,
          durationMs: ROUND_MS,
        });
        if (reply.type !== 'ran') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
        if (reply.misses > 0)
          throw new Error(
            `${name}, ${builds[l]?.label}: ${reply.misses} misses in a hit benchmark; ${reply.stats}`,
          );
        results[w]?.[l]?.push(reply.opsPerSec);
      }
    }
  }
} finally {
  for (const worker of workers) await worker.close({ type: 'close' });
  await server.stop();
}

console.log('# The healthy path: this tree vs a baseline commit, same run\n');
const serverVersion =
  /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
console.log(describeEnvironment(serverVersion));
console.log(`${ROUNDS} alternating rounds of ${ROUND_MS} ms per workload and tree (300 ms warm-up each).\n`);
const rows = names.map((name, w) => {
  const [mine, base] = results[w] as [number[], number[]];
  const perRound = spread(mine.map((ops, i) => ops / (base[i] as number)));
  const mineMedian = spread(mine).median;
  const baseMedian = spread(base).median;
  return [
    name,
    `${formatKilo(mineMedian)} (${formatKilo(spread(mine).min)}–${formatKilo(spread(mine).max)})`,
    `${formatKilo(baseMedian)} (${formatKilo(spread(base).min)}–${formatKilo(spread(base).max)})`,
    `${(mineMedian / baseMedian).toFixed(3)}x`,
    `${perRound.median.toFixed(3)}x (${perRound.min.toFixed(3)}–${perRound.max.toFixed(3)})`,
  ];
});
console.log(
  formatTable(
    [
      'workload',
      `ops/s, ${builds[0]?.label}`,
      `ops/s, ${builds[1]?.label}`,
      'ratio of medians',
      'per round, median (min–max)',
    ],
    rows,
  ),
);
