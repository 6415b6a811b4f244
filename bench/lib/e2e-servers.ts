/**
 * The private servers of bench/e2e.ts: a Postgres with `wal_level=logical`
 * (the shop's CDC listener runs) and a redis-server, each on a free port, so
 * the CPU of the one and the memory of the other are the shop's alone; and
 * the readings taken from them around a measured window.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { type PostgresServer, startPostgresServer } from '../../src/test-support/postgres-server.js';
import { type RedisServer, startRedisServer } from '../../src/test-support/redis-server.js';
import { processTreeCpuMs } from './process-tree-cpu.js';

/** The shop's database on the private server. */
export const SHOP_DATABASE = 'larder_shop';

/** Both servers, a monitoring connection to each (direct, never through the delay proxy). */
export interface E2eServers {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  /** postgres://…/larder_shop, direct. */
  readonly databaseUrl: string;
  readonly postmasterPid: number;
  readonly redisPid: number;
  readonly postgresVersion: string;
  readonly redisVersion: string;
  /** On the `postgres` database, so its own transactions are not the shop's. */
  readonly monitor: pg.Client;
  readonly redisClient: RedisClientType;
  stop(): Promise<void>;
}

/** Start both servers and create the shop's (empty) database. */
export async function startE2eServers(): Promise<E2eServers> {
  const postgres = await startPostgresServer({ settings: { max_connections: '200' } });
  let redis: RedisServer | undefined;
  const monitor = new pg.Client({ connectionString: postgres.url });
  let redisClient: RedisClientType | undefined;
  try {
    redis = await startRedisServer();
    await monitor.connect();
    await monitor.query(`CREATE DATABASE ${SHOP_DATABASE}`);
    const client: RedisClientType = createClient({ url: redis.url });
    redisClient = client;
    await client.connect();
    const info = await client.info('server');
    const postmasterPid = Number(
      readFileSync(path.join(postgres.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    const { rows } = await monitor.query<{ server_version: string }>('SHOW server_version');
    const started = redis;
    return {
      postgres,
      redis,
      databaseUrl: postgres.urlFor(SHOP_DATABASE),
      postmasterPid,
      redisPid: Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0),
      postgresVersion: rows[0]?.server_version ?? '?',
      redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
      monitor,
      redisClient: client,
      async stop() {
        await client.quit().catch(() => {});
        await monitor.end().catch(() => {});
        await started.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await redisClient?.quit().catch(() => {});
    await monitor.end().catch(() => {});
    await redis?.stop();
    await postgres.stop();
    throw error;
  }
}

/** Cumulative counters of the shop database and the servers' CPU, at one moment. */
export interface ServerReading {
  readonly xactCommit: number;
  readonly xactRollback: number;
  /** tup_returned + tup_fetched: rows the shop's queries read. */
  readonly tuplesRead: number;
  /** tup_inserted + tup_updated + tup_deleted. */
  readonly tuplesWritten: number;
  readonly postgresCpuMs: number;
  readonly redisCpuMs: number;
}

/**
 * A reading of `pg_stat_database` for the shop database and of the CPU of
 * both server process trees. Postgres backends publish their counters at
 * most once a second while busy, so a window's delta is good to about a
 * second of traffic at each end.
 */
export async function readServers(servers: E2eServers): Promise<ServerReading> {
  const { rows } = await servers.monitor.query<Record<string, string>>(
    `SELECT xact_commit, xact_rollback, tup_returned + tup_fetched AS read,
            tup_inserted + tup_updated + tup_deleted AS written
       FROM pg_stat_database WHERE datname = $1`,
    [SHOP_DATABASE],
  );
  const row = rows[0] ?? {};
  return {
    xactCommit: Number(row.xact_commit ?? 0),
    xactRollback: Number(row.xact_rollback ?? 0),
    tuplesRead: Number(row.read ?? 0),
    tuplesWritten: Number(row.written ?? 0),
    postgresCpuMs: processTreeCpuMs(servers.postmasterPid),
    redisCpuMs: processTreeCpuMs(servers.redisPid),
  };
}

/** `used_memory` of the private Redis, in bytes. */
export async function redisUsedMemory(client: RedisClientType): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}
