/**
 * A process exits promptly once it has closed its cache, whatever state Redis
 * is in: a port nothing listens on, a host that does not resolve, a server
 * killed under a connected store, and a tiered store whose bus subscriber
 * connection was live when the server died. Each runs in a child process
 * (src/test-support/close-and-exit-child.ts) that closes while every connection
 * waits out a 5–10 s reconnect backoff; the test times the child from its
 * `closed` line to its exit. See docs/stores.md, "Exiting after close()".
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test-support/free-port.js';
import { startRedisServer } from '../../test-support/redis-server.js';

const CHILD = fileURLToPath(new URL('../../test-support/close-and-exit-child.ts', import.meta.url));
/**
 * From the child's `closed` line to its exit. A process that waits out its
 * backoff lingers 5 s or more; one that exits at once takes a few ms, and this
 * leaves a loaded 2-core machine a second and a half of slack.
 */
const EXIT_BOUND_MS = 1_500;
/** Everything the child does, tsx's start-up included, on a loaded machine. */
const CHILD_TIMEOUT_MS = 60_000;

interface ChildRun {
  readonly lines: string[];
  /** ms from the `closed` line to the exit (both seen here, in the parent). */
  readonly lingeredMs: number;
  readonly code: number | null;
  readonly stderr: string;
}

/** Run the child; call `onLine` for each line it prints, as it prints it. */
function runChild(env: Record<string, string>, onLine: (line: string) => void = () => {}): Promise<ChildRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  // The test runner marks its own children; this one is a plain script.
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let closedAt: number | undefined;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('closed')) closedAt = performance.now();
    lines.push(line);
    onLine(line);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  // 'exit', not 'close': the moment the process ended, not when its pipes drained.
  const exited = new Promise<[number | null, number]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve([code, performance.now()]));
  });
  const drained = once(child.stdout, 'close');
  return Promise.all([exited, drained]).then(([[code, exitedAt]]) => {
    clearTimeout(timer);
    const lingeredMs = closedAt === undefined ? Number.NaN : exitedAt - closedAt;
    return { lines, lingeredMs, code, stderr };
  });
}

function assertPromptExit(run: ChildRun): void {
  assert.equal(run.code, 0, `child failed:\n${run.stderr}\n${run.lines.join('\n')}`);
  const closed = run.lines.find((line) => line.startsWith('closed')) ?? '(no closed line)';
  const ownMeasure = run.lines.find((line) => line.startsWith('exit-after-close-ms='));
  console.log(`exited ${Math.round(run.lingeredMs)} ms after close(); ${ownMeasure}; at close: ${closed}`);
  assert.ok(
    run.lingeredMs < EXIT_BOUND_MS,
    `the process lived ${Math.round(run.lingeredMs)} ms after close() (bound ${EXIT_BOUND_MS} ms); ` +
      `active at close: ${closed}`,
  );
}

describe('a process exits promptly after close()', () => {
  it('Redis refuses the connection (nothing listens on the port)', async () => {
    const run = await runChild({ SCENARIO: 'refused', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    assertPromptExit(run);
  });

  it('the host does not resolve', async () => {
    const run = await runChild({ SCENARIO: 'unknown-host', REDIS_URL: 'redis://nohost.invalid:6379' });
    assertPromptExit(run);
  });

  for (const scenario of ['closed-while-connecting', 'tiered-closed-while-connecting'] as const) {
    const what = scenario === 'closed-while-connecting' ? 'a store' : 'a tiered store and its bus';
    it(`${what} closed at once, while connecting to a live server`, async () => {
      const server = await startRedisServer();
      try {
        assertPromptExit(await runChild({ SCENARIO: scenario, REDIS_URL: server.url }));
      } finally {
        await server.stop();
      }
    });
  }

  for (const scenario of ['killed', 'tiered-killed'] as const) {
    const what = scenario === 'killed' ? 'a connected store' : 'a tiered store and its bus subscriber';
    it(`the server is killed under ${what}`, async () => {
      const server = await startRedisServer();
      try {
        const run = await runChild({ SCENARIO: scenario, REDIS_URL: server.url }, (line) => {
          if (line === 'connected') void server.kill();
        });
        assert.ok(run.lines.includes('connected'), run.lines.join('\n'));
        assertPromptExit(run);
      } finally {
        await server.stop();
      }
    });
  }
});
