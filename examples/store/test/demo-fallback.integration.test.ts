/**
 * `npm run demo` with nothing but itself: LARDER_DEMO_EMBEDDED=1 forces the
 * embedded Postgres and the in-memory store even though the test runner provides
 * a Postgres and a Redis. The demo runs as a child process, as a user runs it;
 * the test loads the home page, sends SIGINT, and checks the exit code and that
 * no process (the embedded Postgres above all) is left behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
// initdb, the seed and the shop's start take ~10 s on an idle machine; CI shares 2 cores with
// other test files. Together these stay under scripts/test.mjs's 240 s per file (Node 20).
const START_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 45_000;
const REQUEST_TIMEOUT_MS = 30_000;

// Unique per run: the leftover check looks for processes naming it, so another run's
// Postgres (or a developer's demo) is never mistaken for ours.
const demoDir = path.join(os.tmpdir(), `larder-demo-test-${process.pid}-${randomBytes(4).toString('hex')}`);
let child: ChildProcess | undefined;
let output = '';

after(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // A failed run may leave the embedded Postgres (its own process group): stop it before deleting its data.
  for (const pid of onLinux ? processesMentioning(demoDir) : []) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
  rmSync(demoDir, { recursive: true, force: true });
});

const onLinux = process.platform === 'linux';

it('starts on an embedded Postgres and the memory store, serves the shop, and stops cleanly on SIGINT', {
  skip: !onLinux && 'the leftover check reads /proc',
}, async () => {
  const demo = spawn(process.execPath, ['--import', 'tsx', 'examples/store/demo.ts', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, LARDER_DEMO_EMBEDDED: '1', LARDER_DEMO_DIR: demoDir, SHOP_SCALE: '0.01' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = demo;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    demo.once('exit', (code, signal) => resolve({ code, signal })),
  );
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });

  const url = await waitFor(
    () => /Larder shop running at (http:\/\/\S+)/.exec(output)?.[1],
    exited,
    START_TIMEOUT_MS,
    'the URL line',
  );
  assert.match(
    output,
    /LARDER_DEMO_EMBEDDED=1: using an embedded Postgres .* and the in-memory cache store\./,
  );
  assert.match(output, /cache +in-memory store/);
  assert.match(output, /CDC +\S/);

  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const html = await response.text();
  assert.equal(response.status, 200, html.slice(0, 500));
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  assert.match(html, /<html/i);
  assert.match(html, /id="larder-panel"/, 'the demo turns the debug panel on');

  demo.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    exited,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  assert.ok(result, `the demo did not exit within ${STOP_TIMEOUT_MS} ms of SIGINT:\n${output}`);
  assert.deepEqual(result, { code: 0, signal: null }, output);
  assert.deepEqual(processesMentioning(demoDir), [], `processes left behind:\n${output}`);
});

/** Polls `find` until it returns a value; fails early when the demo exits, late on the timeout. */
async function waitFor<T>(
  find: () => T | undefined,
  exited: Promise<unknown>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (hasExited) assert.fail(`the demo exited before printing ${what}:\n${output}`);
    if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms:\n${output}`);
    await sleep(100);
  }
}

/** Ids of the processes whose command line contains `text` (Linux: /proc). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (commandLine.includes(text)) found.push(Number(entry));
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
