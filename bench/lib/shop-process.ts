/**
 * One reference shop (examples/store/src/serve.ts) as a child process, the way
 * bench/e2e.ts runs it: configured by environment variables, ready when it
 * prints `listening <url>`, stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { killOnExit } from './e2e-cleanup.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The directory of the shop's `serve.ts` and `seed.ts`, relative to the
 * repository root; `E2E_SHOP_SRC` replaces it (to try the harness on a
 * stand-in with the same interface).
 */
export const SHOP_SRC = process.env.E2E_SHOP_SRC ?? 'examples/store/src';
/** The shop's process entry point. */
export const SHOP_ENTRY = path.join(SHOP_SRC, 'serve.ts');
/** The module exporting `seedShop`, as an import URL. */
export const SEED_MODULE = pathToFileURL(path.resolve(ROOT, SHOP_SRC, 'seed.ts')).href;

/** The shop's caching modes (examples/store/README.md). */
export const SHOP_MODES = ['off', 'query', 'page', 'fragment', 'full'] as const;
export type ShopMode = (typeof SHOP_MODES)[number];

/** Hits and misses of one cache layer, cumulative. */
export interface LayerCounts {
  readonly hits: number;
  readonly misses: number;
}

/** `GET /__larder/stats`: counters since the shop started. */
export interface ShopStats {
  readonly requests: number;
  readonly dbQueries: number;
  readonly queriesByStatement: Readonly<Record<string, number>>;
  readonly layers: Readonly<Record<string, LayerCounts>>;
}

/** How to run one shop. */
export interface ShopOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly mode: ShopMode;
  readonly prefix: string;
  /** `SHOP_STAMPEDE=off`: naive cache-aside in the SQL layer. */
  readonly stampede?: boolean;
  /** `SHOP_WARM=0`: no warming at start in `full` (the cold start wants an empty cache). */
  readonly warm?: boolean;
}

/** A running shop. */
export interface ShopProcess {
  readonly url: string;
  readonly pid: number;
  stats(): Promise<ShopStats>;
  stop(): Promise<void>;
}

function toNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The stats JSON with every counter present (missing ones read 0), so deltas
 * never see `undefined`. Layers are read from `layers.<name>` and from
 * top-level `<name>` objects with `hits` and `misses` (the shop puts `page`,
 * `fragment` and `query` at the top level).
 */
export function normalizeStats(raw: unknown): ShopStats {
  const body = (raw ?? {}) as Record<string, unknown>;
  const layers: Record<string, LayerCounts> = {};
  const candidates = { ...body, ...((body.layers ?? {}) as Record<string, unknown>) };
  for (const [name, value] of Object.entries(candidates)) {
    if (typeof value !== 'object' || value === null || !('hits' in value) || !('misses' in value)) continue;
    const counts = value as Record<string, unknown>;
    layers[name] = { hits: toNumber(counts.hits), misses: toNumber(counts.misses) };
  }
  const queriesByStatement: Record<string, number> = {};
  for (const [text, count] of Object.entries((body.queriesByStatement ?? {}) as Record<string, unknown>))
    queriesByStatement[text] = toNumber(count);
  return {
    requests: toNumber(body.requests),
    dbQueries: toNumber(body.dbQueries),
    queriesByStatement,
    layers,
  };
}

/** What happened between two readings of the stats. */
export function statsDelta(before: ShopStats, after: ShopStats): ShopStats {
  const layers: Record<string, LayerCounts> = {};
  for (const [name, now] of Object.entries(after.layers)) {
    const then = before.layers[name] ?? { hits: 0, misses: 0 };
    layers[name] = { hits: now.hits - then.hits, misses: now.misses - then.misses };
  }
  const queriesByStatement: Record<string, number> = {};
  for (const [text, count] of Object.entries(after.queriesByStatement)) {
    const delta = count - (before.queriesByStatement[text] ?? 0);
    if (delta !== 0) queriesByStatement[text] = delta;
  }
  return {
    requests: after.requests - before.requests,
    dbQueries: after.dbQueries - before.dbQueries,
    queriesByStatement,
    layers,
  };
}

/**
 * Start a shop and wait for its `listening <url>` line (60 s at most: the
 * first start compiles the shop through tsx).
 */
export async function startShopProcess(options: ShopOptions): Promise<ShopProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    SHOP_MODE: options.mode,
    PORT: '0',
    SHOP_PANEL: '0',
    SHOP_STATS: '1',
    SHOP_PREFIX: options.prefix,
    NODE_ENV: 'production',
  };
  if (options.stampede === false) env.SHOP_STAMPEDE = 'off';
  else delete env.SHOP_STAMPEDE;
  if (options.warm === false) env.SHOP_WARM = '0';
  else delete env.SHOP_WARM;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SHOP_ENTRY], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  let stopping = false;
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stderr?.on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`shop (${options.mode}) did not start in 60 s:\n${output}`)),
      60_000,
    );
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      pending += chunk.toString();
      const match = /listening (\S+)/.exec(pending);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`shop (${options.mode}) exited with ${code ?? signal} before listening:\n${output}`));
    });
  });
  // Keep draining its output so a chatty shop never blocks on a full pipe.
  child.stdout?.resume();
  child.once('exit', (code, signal) => {
    if (!stopping)
      console.error(`shop (${options.mode}) exited with ${code ?? signal} during the run:\n${output}`);
  });

  return {
    url,
    pid: child.pid ?? 0,
    async stats() {
      const response = await fetch(`${url}/__larder/stats`).catch((error: unknown) => {
        const state = child.exitCode ?? child.signalCode;
        throw new Error(
          `GET /__larder/stats of the shop (${options.mode}) failed${state === null ? '' : `; the shop exited with ${state}`}; its last output:\n${output}`,
          { cause: error },
        );
      });
      if (response.status !== 200) throw new Error(`GET /__larder/stats: ${response.status}`);
      return normalizeStats(await response.json());
    },
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
