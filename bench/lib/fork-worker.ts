/**
 * A benchmark worker in a child process (Node + tsx, as the scripts run), with
 * its replies read in order: `request` sends a message and resolves the next
 * reply; `next` resolves a reply that comes unasked (a reader reporting what
 * it saw). A reply `{ type: 'error', error }` rejects, and so does the child
 * exiting while a reply is awaited.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

/** One child process. */
export interface Worker<In, Out> {
  readonly pid: number;
  /** Send without waiting for anything. */
  send(message: In): void;
  /** The next reply, in arrival order. */
  next(): Promise<Out>;
  /** Send, then resolve the next reply. */
  request(message: In): Promise<Out>;
  /** Send `closeMessage` and wait for the child to exit (killed after `graceMs`). */
  close(closeMessage: In, graceMs?: number): Promise<void>;
}

/**
 * Start `script` (a .ts file) in a child process; its stdout goes to our stderr, off the report.
 * `env` is added to this process's environment.
 */
export function forkWorker<In, Out>(
  script: URL,
  env: Readonly<Record<string, string>> = {},
): Worker<In, Out> {
  const child: ChildProcess = fork(script.pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 2, 2, 'ipc'],
    env: { ...process.env, ...env },
  });
  const inbox: Out[] = [];
  const waiting: Array<{ resolve: (message: Out) => void; reject: (error: Error) => void }> = [];
  let exited: Error | undefined;
  child.on('message', (message: Out) => {
    const waiter = waiting.shift();
    const error = (message as { type?: string; error?: string }).type === 'error';
    if (waiter === undefined) inbox.push(message);
    else if (error) waiter.reject(new Error(`worker ${child.pid}: ${(message as { error: string }).error}`));
    else waiter.resolve(message);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`worker ${child.pid} exited (code ${code}, signal ${signal})`);
    for (const waiter of waiting.splice(0)) waiter.reject(exited);
  });
  const next = () =>
    new Promise<Out>((resolve, reject) => {
      const queued = inbox.shift();
      if (queued !== undefined) {
        const failure = (queued as { type?: string; error?: string }).type === 'error';
        if (failure) reject(new Error(`worker ${child.pid}: ${(queued as { error: string }).error}`));
        else resolve(queued);
      } else if (exited !== undefined) reject(exited);
      else waiting.push({ resolve, reject });
    });
  const send = (message: In) => {
    child.send(message as object);
  };
  return {
    pid: child.pid ?? -1,
    send,
    next,
    request(message) {
      const reply = next();
      send(message);
      return reply;
    },
    async close(closeMessage, graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = once(child, 'exit');
      if (child.connected) send(closeMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
