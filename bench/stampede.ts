/**
 * Cache stampede on one cold key: 1,000 concurrent callers (per process) ask
 * for a key nobody has cached, and the factory (50 ms, counted with INCR in
 * Redis) runs as often as the library lets it. Once in 1 process and once in 4
 * child processes started together, for Larder `getOrSet` (cluster-wide lease
 * on, and `lock: false`), bentocache `getOrSet`, cache-manager `wrap` and a
 * naive cache-aside (GET, factory, SET).
 *
 *   node --import tsx bench/stampede.ts [--rounds 5] [--callers 1000] [--processes 4] [--factory-ms 50]
 *
 * Uses the shared Redis at REDIS_URL (default redis://127.0.0.1:6379) under a
 * unique prefix `larder-bench.stampede.<pid>-<random>.`, deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { forkWorker, type Worker } from './lib/fork-worker.js';
import { formatTable } from './lib/format-table.js';
import { larderBuild } from './lib/larder-shared.js';
import { numericArgs } from './lib/parse-args.js';
import { redisVersion } from './lib/redis-version.js';
import type {
  LarderRunCounters,
  StampedeDone,
  StampedeMessage,
  StampedeReply,
} from './lib/stampede-protocol.js';
import { spread } from './lib/stats.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({ rounds: 5, callers: 1000, processes: 4, 'factory-ms': 50 });
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `larder-bench.stampede.${process.pid}-${randomBytes(4).toString('hex')}.`;
// How far ahead of "now" the parent schedules a run's start, so every worker has
// the message in hand before the instant comes.
const START_DELAY_MS = 200;

const CONTENDERS = [
  { id: 'larder-lease', name: 'Larder getOrSet (lease)' },
  { id: 'larder-no-lock', name: 'Larder getOrSet, lock: false' },
  { id: 'bentocache', name: 'bentocache getOrSet' },
  { id: 'cache-manager', name: 'cache-manager wrap' },
  { id: 'naive', name: 'naive cache-aside (GET, factory, SET)' },
] as const;

/** One run: a contender, a number of processes, what happened. */
interface RunResult {
  readonly contender: string;
  readonly processes: number;
  readonly round: number;
  readonly factoryCalls: number;
  /** From the scheduled start to the last caller settling, in any process. */
  readonly totalMs: number;
  /** Latest actual start minus earliest, across processes. */
  readonly skewMs: number;
  readonly errors: number;
  readonly empty: number;
  /** Larder breakers (of any contender) found open before the run and closed first. */
  readonly openBreakers: number;
  readonly firstError: string | undefined;
  /** Summed over the processes. */
  readonly larder: LarderRunCounters | undefined;
}

type StampedeWorker = Worker<StampedeMessage, StampedeReply>;

function addCounters(a: LarderRunCounters, b: LarderRunCounters): LarderRunCounters {
  const errorKinds: Record<string, number> = { ...a.errorKinds };
  for (const [kind, count] of Object.entries(b.errorKinds))
    errorKinds[kind] = (errorKinds[kind] ?? 0) + count;
  return {
    factoryCalls: a.factoryCalls + b.factoryCalls,
    coalesced: a.coalesced + b.coalesced,
    leaseWaits: a.leaseWaits + b.leaseWaits,
    leaseTakeovers: a.leaseTakeovers + b.leaseTakeovers,
    errors: a.errors + b.errors,
    errorKinds,
  };
}

async function runOnce(
  control: RedisClientType,
  workers: readonly StampedeWorker[],
  contender: string,
  round: number | 'warm-up',
): Promise<RunResult> {
  let openBreakers = 0;
  for (const reply of await Promise.all(workers.map((worker) => worker.request({ type: 'settle' }))))
    if (reply.type === 'settled') openBreakers += reply.open;
  const label = `${contender}:${workers.length}p:${round}`;
  const counterKey = `${prefix}calls:${label}`;
  const startAt = process.hrtime.bigint() + BigInt(START_DELAY_MS * 1e6);
  const replies = (await Promise.all(
    workers.map((worker) =>
      worker.request({
        type: 'run',
        contender,
        key: `stampede:${label}`,
        counterKey,
        startAt: String(startAt),
      }),
    ),
  )) as StampedeDone[];
  const calls = Number((await control.get(counterKey)) ?? 0);
  // Milliseconds after the scheduled start.
  const started = replies.map((reply) => Number(BigInt(reply.startedAt) - startAt) / 1e6);
  const finished = replies.map((reply) => Number(BigInt(reply.finishedAt) - startAt) / 1e6);
  const larder = replies.every((reply) => reply.larder !== undefined)
    ? replies.map((reply) => reply.larder as LarderRunCounters).reduce(addCounters)
    : undefined;
  return {
    contender,
    processes: workers.length,
    round: round === 'warm-up' ? -1 : round,
    factoryCalls: calls,
    totalMs: Math.max(...finished),
    skewMs: Math.max(...started) - Math.min(...started),
    errors: replies.reduce((sum, reply) => sum + reply.errors, 0),
    empty: replies.reduce((sum, reply) => sum + reply.empty, 0),
    openBreakers,
    firstError: replies.find((reply) => reply.firstError !== undefined)?.firstError,
    larder: contender.startsWith('larder') ? larder : undefined,
  };
}

const startedAt = Date.now();
const control = createClient({ url: redisUrl }) as RedisClientType;
await control.connect();
const workers: StampedeWorker[] = [];
try {
  for (let i = 0; i < args.processes; i++)
    workers.push(
      forkWorker<StampedeMessage, StampedeReply>(new URL('./lib/stampede-worker.ts', import.meta.url)),
    );
  await Promise.all(
    workers.map((worker) =>
      worker.request({
        type: 'init',
        redisUrl,
        prefix,
        callers: args.callers,
        factoryMs: args['factory-ms'],
      }),
    ),
  );
  const modes = [workers.slice(0, 1), workers];

  console.log('# Stampede: concurrent callers on one cold key');
  console.log(describeEnvironment(await redisVersion(control)));
  console.log(
    `peers: bentocache ${packageVersion('bentocache')} (ioredis ${packageVersion('ioredis')}), cache-manager ${packageVersion(
      'cache-manager',
    )} (keyv ${packageVersion('keyv')}, @keyv/redis ${packageVersion('@keyv/redis')})`,
  );
  console.log(`library: ${larderBuild}`);
  console.log(
    `method: ${args.processes} worker processes (fork, each with every contender open and connected); a run = ` +
      `${args.callers} callers per process, all issued in one tick, reading one key nobody has cached, in 1 process ` +
      `or in all ${args.processes}; the parent schedules the start instant ${START_DELAY_MS} ms ahead ` +
      `(CLOCK_MONOTONIC, shared by all processes) and each worker sleeps, then spins, until it; the factory does ` +
      `INCR on a counter key in Redis, sleeps ${args['factory-ms']} ms and returns a small object; factory calls = ` +
      `the counter after every caller settled; total = scheduled start to the last caller settling in any process; ` +
      `skew = latest actual start minus earliest; before each run every worker waits until all its Larder circuit ` +
      `breakers are closed (a run can open them, see below), so no run inherits another's state; one warm-up run per contender and mode (not reported), then ` +
      `${args.rounds} rounds, contenders rotated each round, a fresh key per run, TTL 60 s; shared Redis ${redisUrl}.`,
  );
  console.log(
    'configuration: Larder createCache({ store: redisStore({ url }), prefix }) with defaults (lease on: lock ttl ' +
      '10 s, wait 10 s; store timeout 100 ms; breaker opens after 5 failures, for 1 s), one cache per Larder ' +
      'contender: getOrSet(key, factory, { ttl }) and getOrSet(key, factory, { ttl, lock: false }); bentocache ' +
      'bentostore() with L1 memoryDriver + L2 redisDriver + redisBusDriver, getOrSet({ key, factory, ttl }); ' +
      'cache-manager createCache({ stores: [new Keyv({ store: new KeyvRedis(url) })] }).wrap(key, factory, ttl); ' +
      'naive: node-redis GET, on a miss factory then SET PX.',
  );

  for (const contender of CONTENDERS)
    for (const mode of modes) await runOnce(control, mode, contender.id, 'warm-up');
  const results: RunResult[] = [];
  for (let round = 0; round < args.rounds; round++) {
    const order = [
      ...CONTENDERS.slice(round % CONTENDERS.length),
      ...CONTENDERS.slice(0, round % CONTENDERS.length),
    ];
    for (const contender of order) {
      for (const mode of modes) {
        const result = await runOnce(control, mode, contender.id, round);
        results.push(result);
        console.error(
          `  ${contender.name}, ${result.processes} process(es): ${result.factoryCalls} factory calls, ` +
            `${result.totalMs.toFixed(1)} ms (skew ${result.skewMs.toFixed(2)} ms)` +
            `${result.openBreakers ? `, ${result.openBreakers} open breaker(s) closed first` : ''}` +
            `${result.errors ? `, ${result.errors} errors (${result.firstError})` : ''}${result.empty ? `, ${result.empty} empty` : ''}`,
        );
      }
    }
  }

  const rows = CONTENDERS.flatMap((contender) =>
    modes.map((mode) => {
      const runs = results.filter(
        (result) => result.contender === contender.id && result.processes === mode.length,
      );
      const calls = spread(runs.map((run) => run.factoryCalls));
      const total = spread(runs.map((run) => run.totalMs));
      const median = (pick: (counters: LarderRunCounters) => number) =>
        spread(runs.map((run) => (run.larder === undefined ? 0 : pick(run.larder)))).median;
      const larder = runs.every((run) => run.larder !== undefined)
        ? `${median((c) => c.coalesced)} / ${median((c) => c.leaseWaits)} / ${runs.reduce((sum, run) => sum + (run.larder?.errors ?? 0), 0)}`
        : '';
      return [
        contender.name,
        String(mode.length),
        (mode.length * args.callers).toLocaleString('en-US'),
        `${calls.median} (${calls.min}–${calls.max})`,
        `${total.median.toFixed(0)} (${total.min.toFixed(0)}–${total.max.toFixed(0)})`,
        spread(runs.map((run) => run.skewMs)).max.toFixed(2),
        String(runs.reduce((sum, run) => sum + run.errors + run.empty, 0)),
        larder,
      ];
    }),
  );
  console.log();
  console.log(
    formatTable(
      [
        'contender',
        'processes',
        'callers',
        'factory calls median (min–max)',
        'total ms median (min–max)',
        'max skew ms',
        'errors',
        'Larder coalesced / lease waits (median) / store errors (sum)',
      ],
      rows,
    ),
  );
  console.log(
    `\nideal: 1 factory call per run whatever the number of processes, total ≈ ${args['factory-ms']} ms plus ` +
      'the Redis round trips; "errors" counts callers that rejected or got nothing; the last column is ' +
      "Larder's own counters (cache.stats(), summed over processes; median over runs): calls that shared " +
      "another call's factory in their process and calls that waited for another process's lease; then the " +
      'store failures the cache degraded, summed over all runs (a failed lease command means computing ' +
      'without the lease).',
  );
  for (const contender of CONTENDERS) {
    for (const mode of modes) {
      const runs = results.filter(
        (result) => result.contender === contender.id && result.processes === mode.length,
      );
      const kinds = runs
        .map((run) => run.larder)
        .filter((counters) => counters !== undefined)
        .reduce<Record<string, number>>((sum, counters) => {
          for (const [kind, count] of Object.entries(counters.errorKinds))
            sum[kind] = (sum[kind] ?? 0) + count;
          return sum;
        }, {});
      const listed = Object.entries(kinds).map(([kind, count]) => `${kind} x${count}`);
      if (listed.length > 0)
        console.log(
          `${contender.name}, ${mode.length} process(es): Larder error events over all runs: ${listed.join(', ')}`,
        );
    }
  }
  const settled = results.filter((result) => result.openBreakers > 0).length;
  console.log(
    `runs that found a Larder breaker open (from an earlier run) and waited for it first: ${settled} of ${results.length}`,
  );
  for (const result of results) {
    if (result.firstError !== undefined) {
      console.log(`first error of ${result.contender} (${result.processes} processes): ${result.firstError}`);
      break;
    }
  }
  console.log(
    `total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; raw results: ${writeResults('stampede', {
      args,
      results,
    })}`,
  );
} finally {
  await Promise.all(workers.map((worker) => worker.close({ type: 'close' })));
  const deleted = await deletePrefix(control, prefix);
  console.error(`cleanup: ${deleted} keys deleted under ${prefix}`);
  await control.close();
}
