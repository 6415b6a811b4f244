/**
 * The randomized consistency check of the SQL cache (issue 4): several app
 * clients read and write a table through the wrapper — some writes inside
 * transactions that commit or roll back — while another session writes the
 * same rows directly, bypassing the wrapper, and the CDC listener follows the
 * WAL. Every read through the wrapper is checked against the commit history.
 *
 * Each row carries a version that every committed write increments, so a
 * read's result names exactly which commit it reflects. A read is stale when a
 * newer version's commit had finished (its writer's call had resolved) before
 * the read began; its staleness is how long before. App writes must give zero
 * stale reads (the wrapper bumps the generations before COMMIT resolves to the
 * app); external writes are bounded by the listener's lag, which the test
 * measures and reports. The naive wrapper that invalidates before the write
 * (django-cachalot's order) fails the same check.
 *
 * With a tiered store, each app "process" (here: a wrapper with its own L1)
 * sees its own writes at once and the others' once the bus delivers the
 * invalidation: that staleness is measured and bounded too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/index.js';
import { tieredStore } from '../stores/tiered/index.js';
import { redisUrl, uniquePrefix } from '../test-support/env.js';
import { type PostgresServer, startPostgresServer } from '../test-support/postgres-server.js';
import { createRandom } from '../test-support/seeded-random.js';
import { CachedPool, cachedPool } from './cached-pool.js';
import { type CdcListener, createCdcListener } from './cdc/cdc-listener.js';
import { SqlEngine } from './sql-engine.js';
import { resolveSqlOptions } from './sql-options.js';

const ROWS = 8;
const APP_CLIENTS = 4;
const RUN_MS = 4_000;
/** A run goes on past RUN_MS until it has this many reads and commits of each kind, up to MAX_RUN_MS. */
const MIN_READS = 200;
const MIN_COMMITS = 20;
const MAX_RUN_MS = 30_000;
/** How long a transaction holds its write before COMMIT: the window the naive order loses. */
const HOLD_MS = 5;

/** One committed version of a row: when its writer's call resolved, and who wrote it. */
interface Commit {
  readonly version: number;
  readonly finishedAt: number;
  readonly source: 'app' | 'external';
}

/** One read through the wrapper. */
interface Read {
  readonly id: number;
  readonly startedAt: number;
  readonly version: number;
}

/** How stale the reads were, by the source of the newer commit they missed. */
interface Verdict {
  readonly reads: number;
  readonly commits: { readonly app: number; readonly external: number };
  readonly stale: { readonly app: number; readonly external: number };
  readonly maxStaleMs: { readonly app: number; readonly external: number };
}

function judge(history: Map<number, Commit[]>, reads: readonly Read[]): Verdict {
  const stale = { app: 0, external: 0 };
  const maxStaleMs = { app: 0, external: 0 };
  const commits = { app: 0, external: 0 };
  for (const list of history.values()) for (const commit of list) commits[commit.source]++;
  for (const read of reads) {
    // The newest commit that had finished before the read began must be visible.
    const missed = (history.get(read.id) ?? []).filter(
      (commit) => commit.version > read.version && commit.finishedAt < read.startedAt,
    );
    if (missed.length === 0) continue;
    const oldest = missed.reduce((a, b) => (a.finishedAt <= b.finishedAt ? a : b));
    stale[oldest.source]++;
    maxStaleMs[oldest.source] = Math.max(maxStaleMs[oldest.source], read.startedAt - oldest.finishedAt);
  }
  return { reads: reads.length, commits, stale, maxStaleMs };
}

describe('SQL cache consistency under concurrent app and external writes (randomized)', () => {
  let server: PostgresServer;
  let admin: pg.Client;
  const caches: Cache[] = [];
  const listeners: CdcListener[] = [];

  before(async () => {
    server = await startPostgresServer();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
  });

  after(async () => {
    for (const listener of listeners) await listener.dropSlot().catch(() => false);
    for (const cache of caches) {
      await cache.clear().catch(() => undefined);
      await cache.close();
    }
    await admin?.end();
    await server?.stop();
  });

  /** A fresh table and cache; `naive` invalidates before the write, as django-cachalot does. */
  async function scenario(
    name: string,
    options: { naive: boolean; external: boolean; listen?: boolean; seed: number; tiered?: boolean },
  ) {
    const table = `items_${name}`;
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, version int NOT NULL)`);
    await admin.query(`INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, ${ROWS}) g`);
    const prefix = uniquePrefix(`sql-${name}`);
    // Tiered: two wrappers with an L1 each, like two app processes sharing Redis and a bus channel.
    const stores = options.tiered
      ? [0, 1].map(() => tieredStore({ l2: redisStore({ url: redisUrl() }), channel: `${prefix}bus` }))
      : [redisStore({ url: redisUrl() })];
    for (const store of stores) if ('ready' in store) await store.ready();
    const processCaches = stores.map((store) => createCache({ store, prefix }));
    caches.push(...processCaches);
    const cache = processCaches[0] as Cache;
    let listener: CdcListener | undefined;
    if (options.external && options.listen !== false) {
      listener = createCdcListener({
        cache,
        connection: server.url,
        slot: `larder_${name}`,
        publication: `larder_${name}`,
        tables: [`public.${table}`],
        logger: { warn: () => {} },
      });
      listeners.push(listener);
      await listener.start();
    }
    const pools = processCaches.map((processCache) => {
      const raw = new pg.Pool({ connectionString: server.url, max: APP_CLIENTS + 2 });
      return options.naive
        ? new CachedPool(
            raw,
            new SqlEngine(processCache, resolveSqlOptions({}, { invalidation: 'before-write' })),
          )
        : cachedPool(raw, processCache);
    });
    const pool = pools[0] as CachedPool;
    const external = new pg.Client({ connectionString: server.url });
    await external.connect();

    const random = createRandom(options.seed);
    const history = new Map<number, Commit[]>();
    const reads: Read[] = [];
    const record = (id: number, version: number, source: Commit['source']) => {
      const list = history.get(id) ?? [];
      list.push({ version, finishedAt: performance.now(), source });
      history.set(id, list);
    };
    const startedAt = performance.now();
    // At least RUN_MS, and on a loaded machine longer, until the check has seen
    // enough reads and commits to mean something (bounded by MAX_RUN_MS).
    const running = (): boolean => {
      const now = performance.now();
      if (now - startedAt >= MAX_RUN_MS) return false;
      if (now - startedAt < RUN_MS) return true;
      const commits = [...history.values()].flat();
      const app = commits.filter((commit) => commit.source === 'app').length;
      const external = commits.length - app;
      return reads.length <= MIN_READS || app <= MIN_COMMITS || (options.external && external <= MIN_COMMITS);
    };
    const pick = () => 1 + Math.floor(random() * ROWS);

    const appClient = async (_: unknown, index: number) => {
      const pool = pools[index % pools.length] as CachedPool;
      while (running()) {
        const id = pick();
        const roll = random();
        if (roll < 0.85) {
          const startedAt = performance.now();
          const { rows } = await pool.query(`SELECT version FROM ${table} WHERE id = $1`, [id]);
          reads.push({ id, startedAt, version: rows[0]?.version });
        } else if (roll < 0.93) {
          // Autocommit write: committed when the call resolves.
          const { rows } = await pool.query(
            `UPDATE ${table} SET version = version + 1 WHERE id = $1 RETURNING version`,
            [id],
          );
          record(id, rows[0]?.version, 'app');
        } else {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const { rows } = await client.query(
              `UPDATE ${table} SET version = version + 1 WHERE id = $1 RETURNING version`,
              [id],
            );
            await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
            if (random() < 0.25) {
              await client.query('ROLLBACK');
            } else {
              await client.query('COMMIT');
              record(id, rows[0]?.version, 'app');
            }
          } finally {
            client.release();
          }
        }
      }
    };
    const externalWriter = async () => {
      while (running()) {
        const id = pick();
        const { rows } = await external.query(
          `UPDATE ${table} SET version = version + 1 WHERE id = $1 RETURNING version`,
          [id],
        );
        record(id, rows[0]?.version, 'external');
        await new Promise((resolve) => setTimeout(resolve, 15 + random() * 25));
      }
    };
    await Promise.all([
      ...Array.from({ length: APP_CLIENTS }, appClient),
      ...(options.external ? [externalWriter()] : []),
    ]);
    // Quiescence: once the listener has caught up, every row must read current.
    if (listener !== undefined) assert.ok(await listener.catchUp(5_000), 'the listener caught up');
    const settled: Read[] = [];
    for (let id = 1; id <= ROWS; id++) {
      const startedAt = performance.now();
      const { rows } = await pool.query(`SELECT version FROM ${table} WHERE id = $1`, [id]);
      settled.push({ id, startedAt, version: rows[0]?.version });
    }
    await external.end();
    for (const each of pools) await each.end();
    return { verdict: judge(history, reads), settled: judge(history, settled), pool };
  }

  it('app writes: zero stale reads; external writes: bounded by the CDC lag; everything current after quiescence', async (t) => {
    const { verdict, settled, pool } = await scenario('correct', { naive: false, external: true, seed: 7 });
    const { hits, misses, bypasses, invalidations } = pool.stats();
    t.diagnostic(JSON.stringify({ verdict, hits, misses, bypasses, invalidations }));
    console.log(`[sql-consistency] ${JSON.stringify(verdict)}`);
    assert.ok(verdict.reads > MIN_READS, `${verdict.reads} reads`);
    assert.ok(
      verdict.commits.app > MIN_COMMITS && verdict.commits.external > MIN_COMMITS,
      JSON.stringify(verdict.commits),
    );
    assert.equal(verdict.stale.app, 0, `reads older than a finished app commit: ${JSON.stringify(verdict)}`);
    // The WAL path: bounded by the listener's lag (measured and reported above).
    assert.ok(verdict.maxStaleMs.external < 2_000, `external staleness ${verdict.maxStaleMs.external} ms`);
    assert.deepEqual(settled.stale, { app: 0, external: 0 }, 'after quiescence every row reads current');
  });

  it("tiered stores in two wrappers: own writes at once, the other's within the bus delay; current after quiescence", async (t) => {
    const { verdict, settled } = await scenario('tiered', {
      naive: false,
      external: true,
      seed: 11,
      tiered: true,
    });
    t.diagnostic(JSON.stringify(verdict));
    console.log(`[sql-consistency, tiered] ${JSON.stringify(verdict)}`);
    assert.ok(verdict.reads > MIN_READS, `${verdict.reads} reads`);
    assert.ok(
      verdict.commits.app > MIN_COMMITS && verdict.commits.external > MIN_COMMITS,
      JSON.stringify(verdict.commits),
    );
    // Another wrapper's write reaches this L1 through the bus: milliseconds, not a TTL.
    assert.ok(verdict.maxStaleMs.app < 500, `app staleness across wrappers ${verdict.maxStaleMs.app} ms`);
    assert.ok(verdict.maxStaleMs.external < 2_000, `external staleness ${verdict.maxStaleMs.external} ms`);
    assert.deepEqual(settled.stale, { app: 0, external: 0 }, 'after quiescence every row reads current');
  });

  it('without the CDC listener, external writes leave stale reads (the check sees the WAL path)', async (t) => {
    const { verdict } = await scenario('unheard', { naive: false, external: true, listen: false, seed: 7 });
    t.diagnostic(JSON.stringify(verdict));
    assert.equal(verdict.stale.app, 0);
    assert.ok(verdict.stale.external > 0, `no stale read without the listener: ${JSON.stringify(verdict)}`);
  });

  it('the naive order (invalidate before the write) fails the same check', async (t) => {
    const { verdict } = await scenario('naive', { naive: true, external: false, seed: 7 });
    t.diagnostic(JSON.stringify(verdict));
    assert.ok(verdict.stale.app > 0, `the naive order left no stale read: ${JSON.stringify(verdict)}`);
  });
});
