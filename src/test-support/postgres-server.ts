/**
 * A throwaway Postgres for tests that need server settings the shared one
 * lacks (`wal_level=logical` for the CDC listener): initdb into a fresh temp
 * directory, run `postgres` on a free port bound to 127.0.0.1, trust auth, no
 * fsync. Postgres refuses to run as root, so when we are root both programs run
 * as the `postgres` system user, which owns the directory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './free-port.js';

/** Where the Postgres binaries are: `PG_BIN`, default the Debian path of Postgres 15. */
export function postgresBinDir(): string {
  return process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
}

/** Options of `startPostgresServer`. */
export interface PostgresServerOptions {
  /**
   * Server settings, as `-c name=value` pairs.
   * @default { wal_level: 'logical', max_replication_slots: '10', max_wal_senders: '10' }
   */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * How long to wait for the server to accept connections.
   * @default 20000
   */
  readonly startTimeoutMs?: number;
}

/** A running test Postgres and the ways to stop it. */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** The data directory (owned by the `postgres` user). */
  readonly dataDir: string;
  /** The connection URL of another database on this server. */
  urlFor(database: string): string;
  /** Immediate shutdown (SIGQUIT), like a crash: no checkpoint, the next start runs recovery. */
  kill(): Promise<void>;
  /** Fast shutdown if running, then start again on the same port and data. */
  restart(): Promise<void>;
  /** Stop for good and delete the data directory. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  wal_level: 'logical',
  max_replication_slots: '10',
  max_wal_senders: '10',
};

interface Running {
  readonly child: ChildProcess;
  readonly root: string;
}

// Every server still running is shut down (and its directory removed) when the
// test process exits for any reason, so a failing test leaves no stray postgres.
const running = new Set<Running>();
function shutDownAll(): void {
  for (const { child, root } of running) {
    child.kill('SIGQUIT');
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // The server may still be removing its own files; the OS temp cleaner gets the rest.
    }
  }
  running.clear();
}
process.on('exit', shutDownAll);
// A test file that times out is killed with a signal, and 'exit' does not run
// then: shut the servers down and die of the same signal.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    shutDownAll();
    process.kill(process.pid, signal);
  });
}

/** uid/gid to run as: the `postgres` user when we are root, else ourselves. */
function identity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

/**
 * Start a private Postgres with logical decoding enabled and wait until it
 * accepts connections.
 * @example
 * const server = await startPostgresServer();
 * try { ... new pg.Client(server.url) ... } finally { await server.stop(); }
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = identity();
  const root = mkdtempSync(path.join(tmpdir(), 'larder-pg-'));
  if (user !== undefined) chownSync(root, user.uid, user.gid);
  const dataDir = path.join(root, 'data');
  const spawnAs = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  execFileSync(
    path.join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
    { stdio: 'pipe', ...spawnAs },
  );

  const settings = { ...DEFAULT_SETTINGS, ...options.settings, fsync: 'off', full_page_writes: 'off' };
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let current: Running | undefined;
  let stopped = false;

  const start = async (): Promise<void> => {
    const args = ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1'];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    const child = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnAs });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < 20_000) output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const entry = { child, root };
    running.add(entry);
    child.once('exit', () => running.delete(entry));
    current = entry;
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) break;
      if (await accepts(url)) return;
      await sleep(50);
    }
    child.kill('SIGQUIT');
    await exited(child);
    throw new Error(`postgres on port ${port} did not start within ${timeoutMs} ms:\n${output}`);
  };

  // SIGINT is Postgres's fast shutdown: it disconnects clients and checkpoints.
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    const child = current?.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited(child);
  };

  try {
    await start();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url,
    dataDir,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    kill: () => shutdown('SIGQUIT'),
    async restart() {
      if (stopped) throw new Error('postgres: restart after stop');
      await shutdown('SIGINT');
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown('SIGINT');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A replication slot as `pg_replication_slots` shows it, or `undefined` when there is none. */
export async function replicationSlot(
  client: pg.Client,
  slot: string,
): Promise<{ confirmedFlushLsn: string | null; active: boolean; walStatus: string | null } | undefined> {
  const { rows } = await client.query<{
    confirmed_flush_lsn: string | null;
    active: boolean;
    wal_status: string | null;
  }>('SELECT confirmed_flush_lsn::text, active, wal_status FROM pg_replication_slots WHERE slot_name = $1', [
    slot,
  ]);
  const row = rows[0];
  return row === undefined
    ? undefined
    : { confirmedFlushLsn: row.confirmed_flush_lsn, active: row.active, walStatus: row.wal_status };
}

/** Poll an async condition every 10 ms; resolves the milliseconds it took, fails after `timeoutMs`. */
export async function eventually(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
  return performance.now() - started;
}
