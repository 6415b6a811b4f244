/**
 * One tree's side of bench/healthy-path.ts, in its own process: it loads a
 * compiled build of the library, makes one cache per workload, and measures a
 * workload when asked.
 */
import type * as LarderEntry from '../../src/index.js';
import type * as LarderMemory from '../../src/stores/memory/index.js';
import type * as LarderRedis from '../../src/stores/redis/index.js';
import type * as LarderTiered from '../../src/stores/tiered/index.js';
import { runOnce } from './run-throughput.js';

/** What the parent asks. */
export type HealthyPathRequest =
  | { readonly type: 'setup'; readonly dist: string; readonly url: string; readonly prefix: string }
  | { readonly type: 'run'; readonly workload: string; readonly durationMs: number }
  | { readonly type: 'close' };

/** What the worker answers. */
export type HealthyPathReply =
  | { readonly type: 'ready'; readonly workloads: readonly string[] }
  | { readonly type: 'ran'; readonly opsPerSec: number; readonly misses: number; readonly stats: string }
  | { readonly type: 'error'; readonly error: string };

const KEYS = 1_000;
const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
const value = {
  id: 42,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  roles: ['admin', 'author'],
  visits: 1234,
};

interface Workload {
  readonly concurrency: number;
  readonly op: (i: number) => Promise<unknown>;
  readonly stats: () => unknown;
}

const workloads = new Map<string, Workload>();
const closers: Array<() => Promise<void>> = [];

async function setup(dist: URL, url: string, prefix: string): Promise<void> {
  const entry = (await import(new URL('index.js', dist).href)) as typeof LarderEntry;
  const memory = (await import(new URL('stores/memory/index.js', dist).href)) as typeof LarderMemory;
  const redis = (await import(new URL('stores/redis/index.js', dist).href)) as typeof LarderRedis;
  const tiered = (await import(new URL('stores/tiered/index.js', dist).href)) as typeof LarderTiered;
  // A generous store timeout: the setup writes 1,000 entries at once. Both
  // names, since the baseline may be a build from before timeoutMs became
  // storeTimeout; each build ignores the name it does not know.
  const options = { storeTimeout: 2_000, timeoutMs: 2_000 };
  const memoryCache = entry.createCache({ store: memory.memoryStore(), prefix: `${prefix}m`, ...options });
  const redisCache = entry.createCache({
    store: redis.redisStore({ url }),
    prefix: `${prefix}r`,
    ...options,
  });
  // Heartbeat off: a loop of awaited L1 hits never yields to hear its echo.
  const tieredStore = tiered.tieredStore({
    l2: redis.redisStore({ url }),
    channel: `${prefix}t`,
    heartbeat: false,
  });
  await tieredStore.ready();
  const tieredCache = entry.createCache({ store: tieredStore, prefix: `${prefix}t`, ...options });
  const caches = {
    'memory hit, 1 caller': memoryCache,
    'Redis GET hit, 50 in flight': redisCache,
    'tiered L1 hit, 1 caller': tieredCache,
  };
  for (const [name, cache] of Object.entries(caches)) {
    await cache.setMany(
      keys.map((key) => [key, value] as const),
      { ttl: '1h' },
    );
    workloads.set(name, {
      concurrency: name.includes('50 in flight') ? 50 : 1,
      op: (i) => cache.get(keys[i % KEYS] as string),
      stats: () => cache.stats(),
    });
    closers.push(() => cache.close());
  }
}

process.on('message', async (message: HealthyPathRequest) => {
  try {
    if (message.type === 'setup') {
      await setup(new URL(message.dist), message.url, message.prefix);
      process.send?.({ type: 'ready', workloads: [...workloads.keys()] } satisfies HealthyPathReply);
    } else if (message.type === 'run') {
      const workload = workloads.get(message.workload);
      if (workload === undefined) throw new Error(`unknown workload ${message.workload}`);
      const run = await runOnce({
        op: workload.op,
        concurrency: workload.concurrency,
        durationMs: message.durationMs,
      });
      process.send?.({
        type: 'ran',
        opsPerSec: run.opsPerSec,
        misses: run.misses,
        stats: JSON.stringify(workload.stats()),
      } satisfies HealthyPathReply);
    } else {
      for (const close of closers) await close();
      process.exit(0);
    }
  } catch (error) {
    process.send?.({
      type: 'error',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
