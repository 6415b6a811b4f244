/**
 * Sessions through express-session, one read and one write per request:
 * Larder's store (Redis, tiered, cached_db) against connect-redis and a
 * Postgres-only store, each an Express 5 app in its own process, autocannon
 * at 50 connections over 500 sessions (cookies rotated over the requests);
 * then the same with a route that only reads; then a short lost-update phase
 * per contender (two overlapping requests per session, each setting a
 * different field). Method and figures: bench/README.md §11.
 *
 *   node --import tsx bench/sessions.ts [--rounds 3] [--seconds 5] [--connections 50] [--sessions 500]
 *     [--pairs 200] [--delay-ms 100] [--private-server 1]
 *
 * Targets (issue 12): Larder on Redis serves ≥ 0.9x connect-redis's
 * requests/s, with no lost updates; cached_db reads cost 0 Postgres queries
 * at steady state.
 *
 * Uses the shared Redis at REDIS_URL (`--private-server 1`: a redis-server of
 * its own) under a unique key prefix, and the shared Postgres at
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) in a
 * schema of its own; both are removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { deletePrefix } from './lib/delete-prefix.js';
import { describeEnvironment, packageVersion } from './lib/describe-environment.js';
import { forkWorker, type Worker } from './lib/fork-worker.js';
import { loadLarderSessions } from './lib/larder-sessions.js';
import { larderBuild } from './lib/larder-shared.js';
import { numericArgs } from './lib/parse-args.js';
import { pgSessionTableSql } from '../examples/store/src/pg-session-store.js';
import { redisVersion } from './lib/redis-version.js';
import { createSessions, loadWithSessions, measureLostUpdates } from './lib/session-load.js';
import {
  SESSION_CONTENDERS,
  type SessionContender,
  type SessionServerCounters,
  type SessionServerReply,
  type SessionServerRequest,
} from './lib/session-protocol.js';
import {
  type LostPhase,
  printSessionReport,
  type ScenarioRun,
  SESSION_SCENARIOS,
  type SessionFailure,
  type SessionScenario,
} from './lib/sessions-report.js';
import { startRedisServer } from './lib/start-redis-server.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({
  rounds: 3,
  seconds: 5,
  connections: 50,
  sessions: 500,
  pairs: 200,
  'delay-ms': 100,
  'private-server': 0,
});
const redisServer = args['private-server'] ? await startRedisServer() : undefined;
const redisUrl = redisServer?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
const prefix = `larder-bench.sessions.${runId}.`;
const schema = `larder_bench_sessions_${runId}`;
const SERVER = new URL('./lib/session-server.ts', import.meta.url);

// A build without larder/express-session (an older commit) still measures the peers.
const larder = await loadLarderSessions();
const skipReason = typeof larder === 'string' ? larder : undefined;
const skipped = skipReason === undefined ? [] : SESSION_CONTENDERS.filter((c) => c.startsWith('larder-'));
const contenders = SESSION_CONTENDERS.filter((c) => !skipped.includes(c));

type Server = Worker<SessionServerRequest, SessionServerReply> & { readonly url: string };
let setupDone = false;

async function start(contender: SessionContender): Promise<Server> {
  const setup = contender === 'larder-cached-db' && !setupDone;
  const worker = forkWorker<SessionServerRequest, SessionServerReply>(SERVER, {
    CONTENDER: contender,
    REDIS_URL: redisUrl,
    PREFIX: prefix,
    DATABASE_URL: databaseUrl,
    SCHEMA: schema,
    SETUP: setup ? '1' : '0',
    DELAY_MS: String(args['delay-ms']),
  });
  const ready = await worker.next();
  if (ready.type !== 'ready') throw new Error(`${contender}: expected ready, got ${ready.type}`);
  if (setup) setupDone = true;
  return { ...worker, url: `http://127.0.0.1:${ready.port}/` };
}

async function counters(server: Server): Promise<SessionServerCounters> {
  const reply = await server.request({ type: 'counters' });
  if (reply.type !== 'counters') throw new Error(`expected counters, got ${reply.type}`);
  return reply;
}

const minus = (a: SessionServerCounters, b: SessionServerCounters): SessionServerCounters => ({
  requests: a.requests - b.requests,
  queries: a.queries - b.queries,
  overlaps: a.overlaps - b.overlaps,
});

/** Two read-write requests, then a read, on one session: a store that loses writes is not measured. */
async function probe(server: Server, cookie: string, contender: SessionContender): Promise<void> {
  const bodies: string[] = [];
  for (const path of ['/rw', '/rw', '/ro']) {
    const response = await fetch(new URL(path, server.url), { headers: { cookie } });
    bodies.push(`${response.status} ${(await response.text()).slice(0, 200)}`);
  }
  if (bodies.join(', ') !== '200 1, 200 2, 200 2')
    throw new Error(`${contender}: the session does not keep its writes (${bodies.join(', ')})`);
}

/** One contender in one round: fresh sessions, then each scenario after a 1 s warm-up. */
async function measure(contender: SessionContender, round: number): Promise<ScenarioRun[]> {
  const server = await start(contender);
  const runs: ScenarioRun[] = [];
  try {
    const cookies = await createSessions(server.url, args.sessions);
    await probe(server, cookies[0] ?? '', contender);
    for (const scenario of SESSION_SCENARIOS) {
      const options = { connections: args.connections, seconds: 1 };
      await loadWithSessions(server.url, scenario.path, cookies, options);
      const before = await counters(server);
      const figures = await loadWithSessions(server.url, scenario.path, cookies, {
        ...options,
        seconds: args.seconds,
      });
      // Requests cut off when autocannon stops may still be finishing their save.
      await sleep(200);
      const counted = minus(await counters(server), before);
      runs.push({ contender, scenario: scenario.id, round, ...figures, server: counted });
      console.error(
        `round ${round}: ${contender} ${scenario.id} ${figures.rps.toFixed(0)} req/s, p99 ${figures.p99Ms} ms, ${(counted.queries / counted.requests).toFixed(2)} queries/request`,
      );
    }
  } finally {
    await server.close({ type: 'close' });
  }
  return runs;
}

async function lostPhase(contender: SessionContender): Promise<LostPhase> {
  const server = await start(contender);
  try {
    const before = await counters(server);
    const found = await measureLostUpdates(server.url, args.pairs);
    const counted = minus(await counters(server), before);
    console.error(`lost updates: ${contender} ${found.lost} of ${found.pairs} pairs`);
    return { contender, ...found, overlaps: counted.overlaps };
  } finally {
    await server.close({ type: 'close' });
  }
}

/** A contender that fails (a store losing its writes, a server not starting) is reported, not fatal to the others. */
function failed(contender: SessionContender, when: string, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  failures.push({ contender, when, reason });
  console.error(`${contender}, ${when}: FAILED: ${reason}`);
}

const failures: SessionFailure[] = [];
const redis: RedisClientType = createClient({ url: redisUrl });
await redis.connect();
const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
const runs: ScenarioRun[] = [];
const lost: LostPhase[] = [];
try {
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0];
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(pgSessionTableSql(`${schema}.pg_sessions`));
  console.log(describeEnvironment(await redisVersion(redis)));
  console.log(`library: ${larderBuild}`);
  console.log(
    `express ${packageVersion('express')}, express-session ${packageVersion('express-session')}, connect-redis ${packageVersion('connect-redis')} (node-redis ${packageVersion('redis')}), pg ${packageVersion('pg')}, autocannon ${packageVersion('autocannon')}; PostgreSQL ${postgresVersion?.server_version ?? '?'}`,
  );
  console.log(
    `method: each contender an Express 5 + express-session app (resave false, saveUninitialized false) in its own process, started afresh per round; ${args.sessions} sessions made through its /login first, their cookies rotated over the requests; autocannon, ${args.connections} connections, keep-alive, per scenario a 1 s warm-up then ${args.seconds} s measured; ${args.rounds} rounds, contender order rotated each round; Postgres queries = statements the server's pool sent during the measured window ÷ requests the server received in it; lost updates: ${args.pairs} sessions, two concurrent requests each (one sets a, one sets b, ${args['delay-ms']} ms between the session's load and its save), then every session read back`,
  );
  if (skipReason !== undefined) console.log(`larder session store not built yet: skipped (${skipReason})`);
  for (let round = 1; round <= args.rounds; round++) {
    const shift = (round - 1) % contenders.length;
    for (const contender of [...contenders.slice(shift), ...contenders.slice(0, shift)]) {
      await measure(contender, round).then(
        (measured) => runs.push(...measured),
        (error: unknown) => failed(contender, `round ${round}`, error),
      );
    }
  }
  for (const contender of contenders) {
    await lostPhase(contender).then(
      (phase) => lost.push(phase),
      (error: unknown) => failed(contender, 'lost-update phase', error),
    );
  }
} finally {
  await deletePrefix(redis, prefix);
  await redis.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  await redisServer?.stop();
}

printSessionReport({ runs, lost, skipped, failures, pairs: args.pairs });
const scenarios: readonly SessionScenario[] = SESSION_SCENARIOS;
console.log(
  `raw results: ${writeResults('sessions', { args, scenarios, skipped, failures, runs, lost, library: larderBuild })}`,
);
