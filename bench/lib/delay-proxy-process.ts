/**
 * The delaying TCP proxy's process (see delay-proxy.ts). argv: delay in ms,
 * then target ports; listens on one free port per target and sends
 * `{ ports: number[] }` to its parent.
 *
 * Every chunk read from either side is written to the other side `delayMs`
 * after it was read; order is preserved per direction (one FIFO for the whole
 * process: with a fixed delay, due times are in arrival order). Node's timers
 * have 1 ms granularity, so the sub-millisecond rest of a wait is slept with
 * `Atomics.wait` (a futex: no CPU), which is why the proxy has a process of
 * its own instead of blocking the benchmark's event loop.
 */
import { connect, createServer, type Socket } from 'node:net';

const delayMs = Number(process.argv[2]);
const targets = process.argv.slice(3).map(Number);
if (!Number.isFinite(delayMs) || delayMs < 0 || targets.length === 0 || targets.some((p) => !(p > 0)))
  throw new Error('usage: delay-proxy-process.ts <delayMs> <targetPort>...');

interface Pending {
  readonly to: Socket;
  /** `null`: the other side ended; end this one. */
  readonly chunk: Buffer | null;
  readonly dueAt: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let queue: Pending[] = [];
let head = 0;
let scheduled = false;

function schedule(): void {
  const first = queue[head];
  if (scheduled || first === undefined) return;
  scheduled = true;
  const waitMs = first.dueAt - performance.now();
  if (waitMs >= 2) setTimeout(drain, Math.floor(waitMs) - 1);
  else setImmediate(drain);
}

function drain(): void {
  scheduled = false;
  const first = queue[head];
  if (first === undefined) return;
  const waitMs = first.dueAt - performance.now();
  if (waitMs >= 2) {
    schedule();
    return;
  }
  if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs);
  const now = performance.now();
  for (let item = queue[head]; item !== undefined && item.dueAt <= now; item = queue[head]) {
    head++;
    if (item.to.destroyed) continue;
    if (item.chunk === null) item.to.end();
    else item.to.write(item.chunk);
  }
  if (head > 4096 && head * 2 > queue.length) {
    queue = queue.slice(head);
    head = 0;
  }
  schedule();
}

function pipeDelayed(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    queue.push({ to, chunk, dueAt: performance.now() + delayMs });
    schedule();
  });
  from.on('end', () => {
    queue.push({ to, chunk: null, dueAt: performance.now() + delayMs });
    schedule();
  });
}

async function listen(targetPort: number): Promise<number> {
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  return address.port;
}

const ports = await Promise.all(targets.map(listen));
process.send?.({ ports });
process.on('disconnect', () => process.exit(0));
