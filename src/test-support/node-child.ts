/**
 * A child Node process running one of our TypeScript scripts, for tests whose
 * claim is about several processes (stampedes across processes, a lease holder
 * that dies, L1 coherence). Messages go both ways over the IPC channel; the
 * child is killed when the test process exits, whatever happens.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

/** A message between a test and its child: a `type` and any JSON fields. */
export interface ChildMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A running child process. */
export interface NodeChild {
  readonly pid: number;
  /** Send a message to the child. */
  send(message: ChildMessage): void;
  /** The next message of `type` (earlier ones are kept in order); rejects after `timeoutMs` or if the child exits. */
  next(type: string, timeoutMs?: number): Promise<ChildMessage>;
  /** SIGKILL, resolving once it has exited. */
  kill(): Promise<void>;
  /** Resolves with the exit code once the child has exited. */
  readonly exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Start `script` (a path to a .ts file) with `env` added to the environment.
 * @example const child = startChild(new URL('./stampede-child.ts', import.meta.url), { PREFIX: 'x' });
 */
export function startChild(script: URL, env: Readonly<Record<string, string>> = {}): NodeChild {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const inbox: ChildMessage[] = [];
  const listeners = new Set<() => void>();
  child.on('message', (message: ChildMessage) => {
    inbox.push(message);
    for (const listener of [...listeners]) listener();
  });
  const exited = once(child, 'exit').then(([code]) => {
    running.delete(child);
    for (const listener of [...listeners]) listener();
    return code as number | null;
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  return {
    pid: child.pid ?? -1,
    exited,
    send(message) {
      child.send(message);
    },
    next(type, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const index = inbox.findIndex((message) => message.type === type);
          if (index >= 0) {
            done();
            resolve(inbox.splice(index, 1)[0] as ChildMessage);
          } else if (gone) {
            done();
            reject(new Error(`child ${child.pid} exited before sending "${type}"`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`child ${child.pid} sent no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
