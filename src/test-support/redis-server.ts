/**
 * A throwaway `redis-server` for failure tests: its own process on a free
 * port, bound to 127.0.0.1, no persistence, so tests can kill, freeze and restart
 * it without touching the shared instance on 6379.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, such as `['--maxmemory', '1mb']`. */
  readonly args?: readonly string[];
  /**
   * How long to wait for the server to answer PING after starting it.
   * @default 10000
   */
  readonly startTimeoutMs?: number;
  /** Also listen for TLS on a second free port, with these PEM files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/** A running test Redis and the ways to hurt it. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The TLS port, when started with `tls`. */
  readonly tlsPort?: number;
  /** `rediss://127.0.0.1:<tlsPort>`, when started with `tls`. */
  readonly tlsUrl?: string;
  /** SIGKILL: the server dies at once, connections are reset. Resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stays, sockets stay open, nothing answers — the worst case for a client. */
  freeze(): void;
  /** SIGCONT: a frozen server resumes and answers what queued up. */
  thaw(): void;
  /** Kill the server (if running) and start a fresh, empty one on the same port. */
  restart(): Promise<void>;
  /** Kill it for good. Idempotent. */
  stop(): Promise<void>;
}

// Every server still running, killed when the test process exits for any
// reason, so a failing test never leaves a stray (or stopped) redis-server.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One PING over a raw socket; true on `+PONG`, or `-NOAUTH` from a server that wants a password. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

function spawnServer(port: number, args: readonly string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 10_000) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', (error) => {
    output += `\nspawn error: ${error.message}`;
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return { child, output: () => output };
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function startOn(port: number, args: readonly string[], timeoutMs: number): Promise<ChildProcess> {
  const { child, output } = spawnServer(port, args);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await ping(port)) return child;
    await sleep(20);
  }
  await killChild(child);
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Start a `redis-server` on a free port and wait until it answers PING.
 * @example
 * const server = await startRedisServer({ args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
 * try { ... } finally { await server.stop(); }
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const tls = options.tls;

  // A free port can be taken between probing and binding; try a few.
  let port = 0;
  let tlsPort = 0;
  let args: readonly string[] = [];
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    args = options.args ?? [];
    if (tls !== undefined) {
      tlsPort = await freePort();
      args = [
        ...args,
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        tls.certFile,
        '--tls-key-file',
        tls.keyFile,
        '--tls-ca-cert-file',
        tls.caFile,
        '--tls-auth-clients',
        'no',
      ];
    }
    try {
      child = await startOn(port, args, timeoutMs);
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }

  let current: ChildProcess = child;
  let stopped = false;
  const signal = (name: NodeJS.Signals): void => {
    if (current.exitCode === null && current.signalCode === null) current.kill(name);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    ...(tls === undefined ? {} : { tlsPort, tlsUrl: `rediss://127.0.0.1:${tlsPort}` }),
    kill: () => killChild(current),
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async restart() {
      if (stopped) throw new Error('redis-server: restart after stop');
      await killChild(current);
      current = await startOn(port, args, timeoutMs);
    },
    async stop() {
      stopped = true;
      await killChild(current);
    },
  };
}
