/**
 * A delaying TCP proxy for bench/e2e.ts: put between the shop and Postgres and
 * Redis, it adds a fixed delay to every chunk in each direction, the way a
 * database on another machine of the same data centre would. Runs in a child
 * process (delay-proxy-process.ts).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { killOnExit } from './e2e-cleanup.js';
import { quantile } from './stats.js';

/** A running proxy: one listening port per target, in the order given. */
export interface DelayProxy {
  readonly ports: readonly number[];
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Start a proxy process forwarding a free local port to each of `targetPorts`
 * on 127.0.0.1, each chunk `delayMs` later in each direction.
 * @example
 * const proxy = await startDelayProxy(0.5, [postgresPort, redisPort]);
 * proxy.ports; // [proxied postgres port, proxied redis port]
 */
export async function startDelayProxy(delayMs: number, targetPorts: readonly number[]): Promise<DelayProxy> {
  const child: ChildProcess = fork(
    new URL('./delay-proxy-process.ts', import.meta.url).pathname,
    [String(delayMs), ...targetPorts.map(String)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  killOnExit(child);
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`delay proxy exited with ${String(code)} before listening`);
    }),
  ])) as [{ ports: number[] }];
  return {
    ports: message.ports,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Median round trip, in ms, of `count` sequential Redis PINGs on one
 * connection to `port` (a redis-server or a proxy in front of one): the proxy's
 * real added delay is the difference between the two.
 */
export async function pingRoundTripMs(port: number, count = 300): Promise<{ p50: number; p99: number }> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const startedAt = performance.now();
      socket.write('*1\r\n$4\r\nPING\r\n');
      let reply = '';
      while (!reply.includes('\r\n')) {
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        reply += chunk.toString('latin1');
      }
      times.push(performance.now() - startedAt);
    }
  } finally {
    socket.destroy();
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}
