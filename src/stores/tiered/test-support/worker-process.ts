/**
 * A child Node process (tsx, as the tests run) that answers requests over IPC,
 * for the multi-process tests of the tiered store. Replies are matched by id;
 * the child's output is kept (not printed: the parent's stdout belongs to the
 * test runner) and shown when a request fails.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

/** A request sent to a worker: an operation name and its arguments. */
export interface WorkerRequest {
  readonly op: string;
  readonly [argument: string]: unknown;
}

interface Reply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** One running worker. */
export interface WorkerProcess {
  readonly pid: number;
  /** Resolves when the worker announced itself (a message with id -1); rejects if it exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** Send a request and resolve its result (rejects on an error reply, the timeout, or an exit). */
  call<T = unknown>(request: WorkerRequest, timeoutMs?: number): Promise<T>;
  /** What the child printed so far. */
  output(): string;
  /** Ask it to close (`{ op: 'close' }`), then wait for it to exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Start `script` with `env` added to the environment. */
export function startWorker(script: string, env: Readonly<Record<string, string>>): WorkerProcess {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  // The test runner marks its own children; ours are plain scripts.
  delete childEnv.NODE_TEST_CONTEXT;
  const child: ChildProcess = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 20_000) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  let announced: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    announced = resolve;
  });
  child.on('message', (message: Reply) => {
    if (message.id === -1) announced();
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(`worker ${child.pid}: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`worker ${child.pid} exited (code ${code}, signal ${signal})\n${output}`);
    for (const waiter of pending.values()) waiter.reject(exited);
    pending.clear();
  });

  return {
    pid: child.pid ?? -1,
    output: () => output,
    async ready(timeoutMs = 20_000): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const gone = once(child, 'exit').then(() => {
        throw exited;
      });
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`worker ${child.pid}: not ready in ${timeoutMs} ms\n${output}`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([ready, gone, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    call<T>(request: WorkerRequest, timeoutMs = 10_000): Promise<T> {
      if (exited !== undefined) return Promise.reject(exited);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`worker ${child.pid}: ${request.op} got no reply in ${timeoutMs} ms\n${output}`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ ...request, id });
      });
    },
    async stop(graceMs = 5_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        if (child.connected) child.send({ op: 'close', id: 0 });
        else child.kill('SIGKILL');
        await gone;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
