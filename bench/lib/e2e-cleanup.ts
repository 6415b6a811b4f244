/**
 * Child processes of bench/e2e.ts that must not outlive it: the shops and the
 * delay proxy. They are killed when the process exits for any reason, and
 * Ctrl-C / SIGTERM / SIGHUP turn into a normal exit so that every `exit`
 * handler runs — ours and those of the private Postgres and Redis helpers
 * (src/test-support), which stop their servers on `exit`.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let installed = false;

const SIGNAL_NUMBERS: ReadonlyArray<readonly [NodeJS.Signals, number]> = [
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGTERM', 15],
];

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/**
 * Install the handlers (idempotent). Signal handlers are prepended: the
 * Postgres helper's own handler re-raises the signal, which would end the
 * process without running `exit` handlers (the Redis helper's among them).
 */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const [signal, number] of SIGNAL_NUMBERS) {
    process.prependListener(signal, () => {
      console.error(`\n${signal}: stopping the shops, the proxy, Postgres and Redis`);
      killAll();
      process.exit(128 + number);
    });
  }
}

/** Kill `child` when this process exits, unless it has exited already. */
export function killOnExit(child: ChildProcess): void {
  installCleanup();
  children.add(child);
  child.once('exit', () => children.delete(child));
}
