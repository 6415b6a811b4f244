/**
 * The reference shop (examples/store) end to end: each caching mode (off,
 * query, page, fragment, full) as its own process, under the same URL mix at
 * 50 connections with an admin writer beside it, on a private Postgres and a
 * private Redis, first over loopback and then with a delay proxy in front of
 * both; then a cold start (200 users at once on an empty cache) with Larder's
 * stampede protection on and off. Method and figures: bench/README.md §12.
 *
 *   npm run bench -- e2e
 *   node --import tsx bench/e2e.ts [--rounds 3] [--duration 20] [--warmup 10] [--connections 50] [--delay-ms 0.5]
 *     [--users 200] [--cold-users 200] [--cold-products 1] [--scale 1] [--seed 42] [--write-rate 5] [--delayed 1] [--cold 1] [--steady 1]
 *
 * Targets: full against off, throughput ≥ 10×, p50 ≤ 0.1×, DB queries per
 * request ≤ 0.1×, hit rate ≥ 95 %; cold start ≤ 1 execution per distinct
 * query with the protection on.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type DelayProxy, pingRoundTripMs, startDelayProxy } from './lib/delay-proxy.js';
import { calibrateCpu, packageVersion } from './lib/describe-environment.js';
import { writeE2eChart } from './lib/e2e-chart.js';
import { installCleanup } from './lib/e2e-cleanup.js';
import { COLD_START_CASES, type ColdStartResult, coldStart } from './lib/e2e-cold-start.js';
import { type ModeResult, measureMode, type Network, type ShopTargets } from './lib/e2e-mode.js';
import { coldStartTable, coldStartWorst, modeTable, ratioTable, sideTable } from './lib/e2e-report.js';
import { SHOP_DATABASE, startE2eServers } from './lib/e2e-servers.js';
import { MIX, WRITES, ZIPF_S } from './lib/e2e-traffic.js';
import { numericArgs } from './lib/parse-args.js';
import { SEED_MODULE, SHOP_ENTRY, SHOP_MODES } from './lib/shop-process.js';
import { writeResults } from './lib/write-results.js';
import { zipfTopShare } from './lib/zipf.js';

installCleanup();
const args = numericArgs({
  rounds: 3,
  duration: 20,
  warmup: 10,
  connections: 50,
  'delay-ms': 0.5,
  users: 200,
  'cold-users': 200,
  'cold-products': 1,
  scale: 1,
  seed: 42,
  'write-rate': WRITES.perSecond,
  delayed: 1,
  cold: 1,
  steady: 1,
});
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CHART = fileURLToPath(new URL('./e2e.svg', import.meta.url));
const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
const log = (line: string): void => console.error(`[e2e ${new Date().toISOString().slice(11, 19)}] ${line}`);

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'examples', 'bench'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? commit : `${commit} + uncommitted changes`;
  } catch {
    return '?';
  }
}

const startedAt = Date.now();
const servers = await startE2eServers();
let proxy: DelayProxy | undefined;
try {
  log(
    `Postgres ${servers.postgresVersion} on :${servers.postgres.port}, redis-server ${servers.redisVersion} on :${servers.redis.port}`,
  );
  const { seedShop } = (await import(SEED_MODULE)) as typeof import('../examples/store/src/seed.js');

  const seedStartedAt = performance.now();
  let lastProgressAt = 0;
  const seeded = await seedShop(servers.databaseUrl, {
    scale: args.scale,
    onProgress: (phase, done, total) => {
      if (performance.now() - lastProgressAt < 5000) return;
      lastProgressAt = performance.now();
      log(`seeding: ${phase} ${done}/${total}`);
    },
  });
  const seedSeconds = (performance.now() - seedStartedAt) / 1000;
  log(`seeded scale ${args.scale} in ${seedSeconds.toFixed(1)} s${seeded.reused ? ' (reused)' : ''}`);

  const shopDb = servers.postgres.urlFor(SHOP_DATABASE);
  const shopClient = new pg.Client({ connectionString: shopDb });
  await shopClient.connect();
  const slugs = (
    await shopClient.query<{ slug: string }>('SELECT slug FROM categories ORDER BY slug')
  ).rows.map((row) => row.slug);
  const productCount = Number(
    (await shopClient.query<{ max: string }>('SELECT max(id) AS max FROM products')).rows[0]?.max ?? 0,
  );
  await shopClient.end();
  if (slugs.length === 0 || productCount === 0)
    throw new Error('the seeded shop has no categories or products');

  const networks: Network[] = args.delayed ? ['loopback', 'delayed'] : ['loopback'];
  let proxyRtt = '';
  if (args.delayed) {
    proxy = await startDelayProxy(args['delay-ms'], [servers.postgres.port, servers.redis.port]);
    const direct = await pingRoundTripMs(servers.redis.port);
    const proxied = await pingRoundTripMs(proxy.ports[1] ?? 0);
    proxyRtt = `Redis PING round trip direct p50 ${direct.p50.toFixed(3)} ms (p99 ${direct.p99.toFixed(3)}), through the proxy p50 ${proxied.p50.toFixed(3)} ms (p99 ${proxied.p99.toFixed(3)}): +${(proxied.p50 - direct.p50).toFixed(3)} ms per round trip (nominal +${(2 * args['delay-ms']).toFixed(3)})`;
    log(proxyRtt);
  }
  const targetsFor = (network: Network): ShopTargets => {
    if (network === 'loopback') return { network, databaseUrl: shopDb, redisUrl: servers.redis.url };
    const [pgPort, redisPort] = proxy?.ports ?? [];
    return {
      network,
      databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/${SHOP_DATABASE}`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
    };
  };

  const settings = {
    slugs,
    productCount,
    users: args.users,
    connections: args.connections,
    warmupSeconds: args.warmup,
    seconds: args.duration,
    seed: args.seed,
    runId,
    writesPerSecond: args['write-rate'],
  };
  const results: ModeResult[] = [];
  const colds: ColdStartResult[] = [];
  log(
    `${args.rounds} round(s) × ${networks.length} network(s) × ${SHOP_MODES.length} modes × (${args.warmup} s warm-up + ${args.duration} s + ≈ 8 s start, log-in, stop) ≈ ${Math.ceil((args.rounds * networks.length * SHOP_MODES.length * (args.warmup + args.duration + 8)) / 60)} min, then the cold starts`,
  );
  // Rounds: every network and mode once per round, the mode order rotated
  // round by round so that no mode always runs right after another's load.
  for (let round = 1; args.steady && round <= args.rounds; round++) {
    for (const network of networks) {
      const shift = (round - 1) % SHOP_MODES.length;
      for (const mode of [...SHOP_MODES.slice(shift), ...SHOP_MODES.slice(0, shift)]) {
        log(
          `round ${round}/${args.rounds}, ${network} / ${mode}: start, log in ${args.users} users, ${args.warmup} s warm-up, ${args.duration} s measured`,
        );
        const result = await measureMode(servers, targetsFor(network), mode, round, settings);
        results.push(result);
        log(
          `round ${round}/${args.rounds}, ${network} / ${mode}: ${result.load.rps.toFixed(0)} req/s, p50 ${result.load.p50Ms.toFixed(2)} ms, ${(result.shop.dbQueries / Math.max(1, result.shop.requests)).toFixed(3)} queries/req, ${result.load.errors} errors`,
        );
      }
    }
  }
  if (args.cold) {
    for (const network of networks) {
      for (const testCase of COLD_START_CASES) {
        log(`${network} / cold start, ${testCase.label}`);
        colds.push(
          await coldStart(servers, targetsFor(network), testCase, {
            users: args['cold-users'],
            products: args['cold-products'],
            productCount,
            runId,
          }),
        );
      }
    }
  }

  const cpus = os.cpus();
  const models = [
    ...new Set(cpus.map((cpu) => (cpu.speed > 0 ? `${cpu.model} @ ${cpu.speed} MHz` : cpu.model))),
  ].join(', ');
  console.log('# bench/e2e.ts: the reference shop end to end');
  console.log();
  console.log(
    `machine: ${cpus.length} CPUs (os.cpus(): ${models}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}; load average at the end ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; CPU calibration loop ${calibrateCpu().toFixed(0)} ms (lower is faster)`,
  );
  console.log(
    `node ${process.version}; PostgreSQL ${servers.postgresVersion} (private, wal_level=logical, fsync off); redis-server ${servers.redisVersion} (private, no persistence); autocannon ${packageVersion('autocannon')}, pg ${packageVersion('pg')}, express ${packageVersion('express')}`,
  );
  console.log(
    `library and shop: commit ${gitCommit()}, from source (${SHOP_ENTRY} under tsx, NODE_ENV=production); date ${new Date().toISOString()}`,
  );
  console.log(
    `data: seedShop scale ${args.scale}: ${productCount.toLocaleString('en-US')} products, ${slugs.length} categories; seeded in ${seedSeconds.toFixed(1)} s${seeded.reused ? ' (reused)' : ''}`,
  );
  console.log(
    `method: per network and mode a fresh shop process (fresh SHOP_PREFIX, Redis emptied with FLUSHALL first), ${args.users} users logged in through POST /login and the admin, ${args.warmup} s warm-up of the same load (not measured), then ${args.duration} s measured; autocannon, ${args.connections} connections, keep-alive; ${args.rounds} round(s), each measuring every network and mode once, mode order rotated per round; tables show the median over rounds (range in brackets for req/s, p50 and queries/request), ratios are taken per round`,
  );
  console.log(
    `URL mix (seeded, seed ${args.seed}): ${MIX.home} % home, ${MIX.category} % /c/<random category>?page=1–3&sort=name|price|newest, ${MIX.product} % /p/<id> with Zipf popularity s=${ZIPF_S} over ${productCount.toLocaleString('en-US')} ids (top 100 ids take ${(zipfTopShare(productCount, ZIPF_S, 100) * 100).toFixed(0)} % of product views), ${MIX.profile} % /profile with one of the ${args.users} session cookies`,
  );
  console.log(
    `writes: a separate loop as admin, ${args['write-rate']}/s (each: GET /p/<Zipf id> for the price, then POST /admin/products/<id>): new stock every time, price changed by 1–10 % in ${WRITES.priceShare * 100} % of writes`,
  );
  console.log(
    `networks: loopback; ${args.delayed ? `delayed: a TCP proxy (bench/lib/delay-proxy.ts, own process) between the shop and both Postgres and Redis, every chunk forwarded ${args['delay-ms']} ms later in each direction, order kept per direction. ${proxyRtt}` : 'delayed: skipped (--delayed 0)'}`,
  );
  console.log(
    "figures: latency percentiles over every measured response (autocannon response times); DB queries / req = the shop's dbQueries Δ ÷ its requests Δ (all requests it served: autocannon's, the writer's and the stats reads); PG xacts / req and rows read (tup_returned + tup_fetched) from pg_stat_database of the shop database, Δ over the window (backends publish these at most once a second, so ±1 s of traffic); PG CPU = utime+stime of the postmaster and all its descendants (those that exited too, via cutime/cstime), /proc, 10 ms ticks; hit rates = hits ÷ (hits + misses) from the shop's layer counters, overall = all layers together; Redis used_memory after the window (INFO memory)",
  );
  for (const network of networks) {
    const own = results.filter((r) => r.network === network);
    console.log();
    console.log(`## ${network}`);
    console.log();
    console.log(modeTable(own));
    console.log();
    console.log(sideTable(own));
  }
  console.log();
  console.log('## full ÷ off, against the targets');
  console.log();
  console.log(ratioTable(results, networks));
  if (colds.length > 0) {
    console.log();
    console.log(
      `## Cold start: ${args['cold-users']} requests at once on an empty cache (half GET /, half /p/<id> over the ${args['cold-products']} most popular product(s); the shop counts per statement: SQL text and parameters), executions per distinct statement in the first second (shop's queriesByStatement Δ); Larder's own session and catalog reads counted apart`,
    );
    console.log();
    console.log(coldStartTable(colds));
    console.log();
    console.log(coldStartWorst(colds));
  }
  writeE2eChart(
    CHART,
    results,
    `${new Date().toISOString().slice(0, 10)}, ${cpus.length} CPUs, ${args.connections} connections, ${args.duration} s, delay ${args['delay-ms']} ms each way`,
  );
  console.log();
  console.log(`chart: ${CHART}`);
  console.log(`raw results: ${writeResults('e2e', { args, results, colds })}`);
  console.log(`bench/e2e.ts: ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`);
} finally {
  await proxy?.stop();
  await servers.stop();
}
