/**
 * Run one TypeScript file in its own `node --import tsx` process and report how
 * it ended, for tests whose claim is "this program exits by itself" (the
 * README's examples; a process that closes a store against a dead Redis).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Options of `runTsFile`. */
export interface RunTsFileOptions {
  /** Added to (and overriding) the parent's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory of the child. @default the parent's */
  readonly cwd?: string;
  /**
   * After this long the child is killed (SIGKILL) and reported as `timedOut`.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/** How a child run ended. */
export interface TsFileRun {
  /** Exit code, or `null` when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when it was still running after `timeoutMs` and had to be killed. */
  readonly timedOut: boolean;
  /** From spawning to exit, including tsx's start-up. */
  readonly elapsedMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawn `node --import tsx <file>` and resolve once it has exited (or was killed at the timeout).
 * @example const run = await runTsFile('/tmp/example.ts', { env: { REDIS_URL: url }, timeoutMs: 10_000 });
 */
export function runTsFile(file: string, options: RunTsFileOptions = {}): Promise<TsFileRun> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' rather than 'exit': the output streams are drained by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, elapsedMs: performance.now() - startedAt, stdout, stderr });
    });
  });
}
