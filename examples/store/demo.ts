/**
 * `npm run demo`: the reference shop on whatever services this machine has.
 *
 *   npm run demo -- [--mode off|query|page|fragment|full] [--port N]
 *
 * Finds Postgres and Redis (demo/services.ts), else starts an embedded Postgres
 * and uses the in-memory store; seeds the shop on the first run with a progress
 * bar (demo/progress.ts); starts it with the debug panel and prints where to go.
 * Ctrl-C (SIGINT) or SIGTERM closes the shop, then stops the embedded Postgres,
 * and exits 0; a second Ctrl-C forces the exit.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printBanner } from './demo/banner.js';
import { createProgress } from './demo/progress.js';
import { findServices, messageOf, redact } from './demo/services.js';
import { seedShop } from './src/seed.js';
import { MODES, type Mode, startShop } from './src/shop.js';

const DEFAULT_PORT = 8000;
const HOST = '127.0.0.1';
/**
 * One Ctrl-C under `npm run demo` reaches this process up to three times: from the terminal
 * (the whole process group), relayed by npm, and relayed by tsx (which re-sends it when our
 * acknowledgement races its wait). Signals this close to the first are those copies, not a
 * second Ctrl-C asking to force the exit.
 */
const SIGNAL_ECHO_MS = 1_000;
/** A shop that does not close in this time (a stuck connection) is left to the process exit. */
const CLOSE_TIMEOUT_MS = 10_000;
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const USAGE = `Usage: npm run demo -- [--mode MODE] [--port N]

Runs the reference shop (examples/store) with Larder's debug panel.

  --mode MODE   off | query | page | fragment | full   (default: full)
  --port N      the port to listen on (default: ${DEFAULT_PORT}; 0 picks a free one;
                a port that is taken is replaced by a free one)
  --help        this text

Environment:
  DATABASE_URL           the Postgres to use (default: 127.0.0.1:5432 as user postgres,
                         database larder_shop, else an embedded Postgres)
  REDIS_URL              the Redis to use (default: 127.0.0.1:6379, else the in-memory store)
  LARDER_DEMO_EMBEDDED=1 use the embedded Postgres and the in-memory store regardless
  LARDER_DEMO_DIR        where the embedded Postgres keeps its data (default: .larder-demo)
  SHOP_SCALE             the seed's size, 1 = ~100,000 products (default: 1)`;

interface DemoArgs {
  mode: Mode;
  port: number;
  help: boolean;
}

/** The demo's arguments, or a message saying what is wrong with them. */
function parseDemoArgs(argv: string[]): DemoArgs | { error: string } {
  let values: { mode?: string | undefined; port?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { mode: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { error: messageOf(error) };
  }
  const mode = values.mode ?? 'full';
  if (!Object.hasOwn(MODES, mode)) {
    return { error: `--mode expects one of ${Object.keys(MODES).join(', ')}; got '${mode}'` };
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || !Number.isInteger(port) || port > 65_535) {
    return { error: `--port expects a port number from 0 to 65535; got '${values.port}'` };
  }
  return { mode: mode as Mode, port, help: values.help === true };
}

const cleanups: Array<() => Promise<void>> = [];
let stopping: Promise<void> | undefined;
let firstSignalAt: number | undefined;
let forceStop: (() => void) | undefined;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const args = parseDemoArgs(process.argv.slice(2));
  if ('error' in args) return usageError(args.error);
  if (args.help) return say(USAGE);
  const scale = process.env.SHOP_SCALE === undefined ? 1 : Number(process.env.SHOP_SCALE);
  if (!(scale > 0) || !Number.isFinite(scale)) {
    return usageError(`SHOP_SCALE expects a positive number; got '${process.env.SHOP_SCALE}'`);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => onSignal(signal));

  const demoDir = path.resolve(REPO_ROOT, process.env.LARDER_DEMO_DIR ?? '.larder-demo');
  const inRepo = !path.relative(REPO_ROOT, demoDir).startsWith('..');
  const services = await step('finding Postgres and Redis', () =>
    findServices({
      env: process.env,
      demoDir,
      demoDirLabel: inRepo ? path.relative(REPO_ROOT, demoDir) : demoDir,
      say,
      defer: (cleanup) => cleanups.push(cleanup),
    }),
  );
  if (services.embedded) forceStop = () => services.embedded?.kill();

  say(`Seeding the shop (scale ${scale}) unless ${redact(services.databaseUrl)} already holds it…`);
  const progress = createProgress('seeding');
  const seeded = await step('the seed', async () => {
    try {
      return await seedShop(services.databaseUrl, { scale, onProgress: progress.update });
    } finally {
      progress.finish();
    }
  });
  say(
    seeded.reused
      ? `Reusing the shop already seeded in ${redact(services.databaseUrl)} (scale ${scale}).`
      : `Seeded the shop in ${redact(services.databaseUrl)} (scale ${scale}).`,
  );

  let port = args.port;
  if (port !== 0 && (await portTaken(port))) {
    say(`Port ${port} is taken on ${HOST}; picking a free port instead.`);
    port = 0;
  }
  const warming = createProgress('warming');
  const shop = await step(`starting the shop on ${HOST}:${port === 0 ? '<free port>' : port}`, () =>
    startShop({
      databaseUrl: services.databaseUrl,
      redisUrl: services.redisUrl,
      mode: args.mode,
      port,
      host: HOST,
      panel: true,
      prefix: 'shop',
      // Mode full warms the cache before it resolves: a bar, so the wait does not look like a hang.
      warm: { onProgress: (done: number, total: number) => warming.update('pages', done, total) },
      // The shop's own lines (warming's summary, CDC notes) start below the bar, not inside it.
      log: (line: string) => {
        warming.finish();
        process.stderr.write(`${line}\n`);
      },
    }).finally(() => warming.finish()),
  );
  cleanups.push(() => withTimeout(shop.close(), CLOSE_TIMEOUT_MS, 'closing the shop'));
  printBanner(say, { url: shop.url, mode: args.mode, ...services, cdc: shop.cdc });
}

/** Runs one start-up step; a failure says which step, cleans up and exits 1. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // A signal stopped the services under this step: its failure is the shutdown's, not news.
    if (stopping) return new Promise<T>(() => {});
    process.stderr.write(`\ndemo: ${what} failed: ${messageOf(error)}\n`);
    await shutdown(1);
    throw error;
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const now = Date.now();
  if (firstSignalAt !== undefined) {
    if (now - firstSignalAt < SIGNAL_ECHO_MS) return;
    process.stderr.write(`\n${signal} again: forcing the exit.\n`);
    forceStop?.();
    process.exit(130);
  }
  firstSignalAt = now;
  say(`\n${signal}: stopping (Ctrl-C again to force)…`);
  void shutdown(0);
}

/** Runs the cleanups, newest first, once; then exits with `code`. */
function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    // Clients of the stopping services may throw from their event handlers: the exit is coming anyway.
    process.on('uncaughtException', (error) =>
      process.stderr.write(`demo: while stopping: ${messageOf(error)}\n`),
    );
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      try {
        await cleanup?.();
      } catch (error) {
        process.stderr.write(`demo: cleanup failed: ${messageOf(error)}\n`);
      }
    }
    process.exit(code);
  })();
  return stopping;
}

function usageError(message: string): void {
  process.stderr.write(`demo: ${message}\n(npm run demo -- --help lists the options)\n`);
  process.exitCode = 2;
}

/** True when something already listens on HOST:port. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    probe.listen(port, HOST, () => probe.close(() => resolve(false)));
  });
}

async function withTimeout(work: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`demo: ${what} took over ${timeoutMs} ms; going on\n`);
      resolve();
    }, timeoutMs);
  });
  await Promise.race([work, timeout]);
  clearTimeout(timer);
}

await main();
