/**
 * The bench process's side of bench/lib/fault-worker.ts: start the child,
 * serve its database reads as they come, and await its other answers by type.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import type { FaultDatabase } from './fault-database.js';
import type { FaultMessage, FaultReply } from './fault-protocol.js';

type Answer = Exclude<FaultReply, { type: 'db-read' } | { type: 'error' }>;

/** A running child reader. */
export interface FaultChild {
  /** Send `message` and resolve the child's next answer of type `type`. */
  request<T extends Answer['type']>(message: FaultMessage, type: T): Promise<Extract<Answer, { type: T }>>;
  /** Ask the child to close its cache and exit (killed after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Fork the child; its database reads go to `db` (counted there, answered after its read time). */
export function startFaultChild(db: FaultDatabase): FaultChild {
  const child: ChildProcess = fork(new URL('./fault-worker.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const waiting = new Map<
    string,
    Array<{ resolve: (answer: Answer) => void; reject: (error: Error) => void }>
  >();
  const failAll = (error: Error) => {
    for (const waiters of waiting.values()) for (const waiter of waiters.splice(0)) waiter.reject(error);
  };
  child.on('message', (reply: FaultReply) => {
    if (reply.type === 'db-read') {
      void db.read(reply.id).then((row) => {
        if (child.connected)
          child.send({ type: 'db-row', seq: reply.seq, version: row.version } satisfies FaultMessage);
      });
    } else if (reply.type === 'error') failAll(new Error(`fault child ${child.pid}: ${reply.error}`));
    else waiting.get(reply.type)?.shift()?.resolve(reply);
  });
  child.on('exit', (code, signal) =>
    failAll(new Error(`fault child exited (code ${code}, signal ${signal})`)),
  );
  return {
    request(message, type) {
      const answer = new Promise<Answer>((resolve, reject) => {
        const waiters = waiting.get(type) ?? [];
        waiting.set(type, waiters);
        waiters.push({ resolve, reject });
      });
      child.send(message);
      return answer as Promise<Extract<Answer, { type: typeof type }>>;
    },
    async close(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = once(child, 'exit');
      if (child.connected) child.send({ type: 'close' } satisfies FaultMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
