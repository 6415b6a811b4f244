/**
 * One measured configuration of bench/e2e.ts: a fresh shop in one mode,
 * sessions logged in, a warm-up, then the measured window with the admin
 * writer running, and every counter read before and after it.
 */
import type { E2eServers } from './e2e-servers.js';
import { readServers, redisUsedMemory } from './e2e-servers.js';
import {
  type LoadResult,
  logIn,
  logInUsers,
  requestMix,
  runMix,
  startAdminWriter,
  type WriterResult,
} from './e2e-traffic.js';
import { type ShopMode, type ShopStats, startShopProcess, statsDelta } from './shop-process.js';

/** Loopback, or through the delay proxy. */
export type Network = 'loopback' | 'delayed';

/** The shop's database and Redis as the shop reaches them (direct or through the proxy). */
export interface ShopTargets {
  readonly network: Network;
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

/** The fixed parts of every mode's run. */
export interface ModeSettings {
  readonly slugs: readonly string[];
  readonly productCount: number;
  readonly users: number;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly seed: number;
  readonly runId: string;
  /** Admin writes per second during warm-up and window. */
  readonly writesPerSecond: number;
}

/** Everything measured in one mode's window. */
export interface ModeResult {
  readonly network: Network;
  readonly mode: ShopMode;
  /** 1-based. */
  readonly round: number;
  readonly load: LoadResult;
  readonly writer: WriterResult;
  /** The shop's own counters over the window (all requests it served: autocannon's and the writer's). */
  readonly shop: ShopStats;
  readonly xactCommits: number;
  readonly tuplesRead: number;
  readonly tuplesWritten: number;
  readonly postgresCpuMs: number;
  readonly redisCpuMs: number;
  /** Redis `used_memory` after the window, and of the empty server before the shop started. */
  readonly redisUsedBytes: number;
  readonly redisEmptyBytes: number;
}

/** Run `mode` once: the shop is started with a fresh key prefix on an emptied Redis, and stopped. */
export async function measureMode(
  servers: E2eServers,
  targets: ShopTargets,
  mode: ShopMode,
  round: number,
  settings: ModeSettings,
): Promise<ModeResult> {
  await servers.redisClient.flushAll();
  const redisEmptyBytes = await redisUsedMemory(servers.redisClient);
  const shop = await startShopProcess({
    databaseUrl: targets.databaseUrl,
    redisUrl: targets.redisUrl,
    mode,
    prefix: `e2e.${settings.runId}.${round}.${targets.network}.${mode}.`,
  });
  try {
    const cookies = await logInUsers(shop.url, settings.users);
    const adminCookie = await logIn(shop.url, 'admin@example.com', 'admin');
    const next = requestMix(settings.seed, settings.slugs, settings.productCount, cookies);
    const load = { connections: settings.connections };
    if (settings.warmupSeconds > 0) {
      const warmWriter = startAdminWriter(
        shop.url,
        adminCookie,
        settings.productCount,
        settings.seed + 1,
        settings.writesPerSecond,
      );
      await runMix(shop.url, next, { ...load, seconds: settings.warmupSeconds });
      await warmWriter.stop();
    }
    const writer = startAdminWriter(
      shop.url,
      adminCookie,
      settings.productCount,
      settings.seed + 2,
      settings.writesPerSecond,
    );
    const statsBefore = await shop.stats();
    const serversBefore = await readServers(servers);
    const result = await runMix(shop.url, next, { ...load, seconds: settings.seconds });
    const serversAfter = await readServers(servers);
    const statsAfter = await shop.stats();
    const writes = await writer.stop();
    return {
      network: targets.network,
      mode,
      round,
      load: result,
      writer: writes,
      shop: statsDelta(statsBefore, statsAfter),
      xactCommits: serversAfter.xactCommit - serversBefore.xactCommit,
      tuplesRead: serversAfter.tuplesRead - serversBefore.tuplesRead,
      tuplesWritten: serversAfter.tuplesWritten - serversBefore.tuplesWritten,
      postgresCpuMs: serversAfter.postgresCpuMs - serversBefore.postgresCpuMs,
      redisCpuMs: serversAfter.redisCpuMs - serversBefore.redisCpuMs,
      redisUsedBytes: await redisUsedMemory(servers.redisClient),
      redisEmptyBytes,
    };
  } finally {
    await shop.stop();
  }
}
