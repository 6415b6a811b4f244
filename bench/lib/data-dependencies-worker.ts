/**
 * One process of bench/data-dependencies.ts (started with `fork`): a cached
 * pool and a cache of its own, running one mode of the cached computation (10
 * cached SQL queries, or 10 tagged getOrSets on the memory store, every one a
 * miss) for a round when asked. The mode is
 * fixed per process, so the process without collection never enters an
 * AsyncLocalStorage (and never turns Node's promise hooks on).
 */
import pg from 'pg';
import type {
  DependencyBackend,
  DependencyMessage,
  DependencyMode,
  DependencyReply,
} from './data-dependencies-protocol.js';
import { type Cache, type CachedPool, cachedPool, createCache, redisStore } from './larder-cached-pool.js';
import { memoryStore } from './larder-shared.js';
import { quantile } from './stats.js';

let cache: Cache | undefined;
let pool: CachedPool | undefined;
let mode: DependencyMode = 'with collection';
let backend: DependencyBackend = 'sql';
let tables = 0;
let rows = 0;
let nonce = 0;

/** A query's tags as larder/sql gives them: its table's and the database's. */
const TAGS = Array.from({ length: 10 }, (_, t) => Object.freeze([`sql:bench:t${t}`, 'sql:bench:*']));

/** A stand-in for a query: one event-loop turn, then a row. */
const standIn = (id: number) =>
  new Promise<{ id: number; v: string }>((resolve) => setImmediate(() => resolve({ id, v: 'x' })));

/** One cached computation: `tables` cached queries, every one a miss (a fresh nonce). */
async function compute(): Promise<void> {
  const n = ++nonce;
  const id = (n % rows) + 1;
  const factory = async () => {
    const parts: unknown[] = [];
    if (backend === 'memory') {
      for (let t = 0; t < tables; t++)
        parts.push(await (cache as Cache).getOrSet(`q${t}:${n}`, () => standIn(id), { tags: TAGS[t] ?? [] }));
      return parts;
    }
    for (let t = 0; t < tables; t++) {
      const result = await (pool as CachedPool).query(
        `SELECT id, v FROM t${t} WHERE id = $1 AND $2::int >= 0`,
        [id, n],
      );
      parts.push(result.rows[0]);
    }
    return parts;
  };
  await (cache as Cache).getOrSet(
    `page:${n}`,
    factory,
    mode === 'with collection' ? undefined : { collectDependencies: false },
  );
}

async function handle(message: DependencyMessage, reply: (answer: DependencyReply) => void): Promise<void> {
  switch (message.type) {
    case 'init': {
      ({ mode, tables, rows, backend } = message);
      if (backend === 'memory') {
        cache = createCache({ store: memoryStore(), prefix: message.prefix, defaultTtl: '10m' });
        return reply({ type: 'ready' });
      }
      const raw = new pg.Pool({
        connectionString: message.databaseUrl,
        max: 4,
        options: `-c search_path=${message.schema}`,
      });
      cache = createCache({
        store: redisStore({ url: message.redisUrl }),
        prefix: message.prefix,
        defaultTtl: '10m',
      });
      pool = cachedPool(raw, cache);
      return reply({ type: 'ready' });
    }
    case 'round': {
      const times: number[] = [];
      const cpuBefore = process.cpuUsage();
      const end = performance.now() + message.durationMs;
      while (performance.now() < end) {
        const started = performance.now();
        await compute();
        times.push(performance.now() - started);
      }
      // Background stores of this round do not spill into the other process's next one.
      await cache?.idle();
      const cpu = process.cpuUsage(cpuBefore);
      times.sort((a, b) => a - b);
      return reply({
        type: 'round',
        p50: quantile(times, 0.5),
        calls: times.length,
        cpuPerCallMs: (cpu.user + cpu.system) / 1000 / times.length,
      });
    }
    case 'close':
      await cache?.idle();
      await pool?.end();
      await cache?.close();
      process.disconnect();
  }
}

process.on('message', (message: DependencyMessage) => {
  const reply = (answer: DependencyReply) => process.send?.(answer);
  handle(message, reply).catch((error: unknown) =>
    reply({ type: 'error', error: String((error as Error)?.stack ?? error) }),
  );
});
// The parent is gone: nothing will ever tell this process to stop.
process.on('disconnect', () => setTimeout(() => process.exit(0), 1000).unref());
