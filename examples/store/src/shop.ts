/**
 * One running shop: Express 5 + Nunjucks on Postgres, with the Larder layers
 * its mode turns on. `startShop` is what the demo, the tests and the
 * end-to-end benchmark run.
 */
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import { type Cache, createCache, type Duration } from 'larder';
import { cachePage } from 'larder/express';
import { LarderSessionStore } from 'larder/express-session';
import { createHttpCache } from 'larder/http';
import { memoryStore } from 'larder/memory';
import { larderCacheExtension } from 'larder/nunjucks';
import { redisStore } from 'larder/redis';
import { type CdcListener, createCdcListener, SQL_CHANNELS, type SqlChannelPayloads } from 'larder/sql';
import { tieredStore } from 'larder/tiered';
import nunjucks from 'nunjucks';
import { countingPool, openDatabase, type ShopDatabase } from './database.js';
import { PAGE_ROUTE, requestPanel } from './panel.js';
import { PgSessionStore } from './pg-session-store.js';
import { RequestStats, type ShopStats } from './request-stats.js';
import { shopFallbacks, shopRoutes } from './routes.js';
import { warmShop } from './warm.js';

/** Which Larder layers a mode turns on. */
export const MODES = {
  off: { query: false, page: false, fragment: false, sessions: false, warm: false },
  query: { query: true, page: false, fragment: false, sessions: false, warm: false },
  page: { query: false, page: true, fragment: false, sessions: false, warm: false },
  fragment: { query: false, page: false, fragment: true, sessions: false, warm: false },
  full: { query: true, page: true, fragment: true, sessions: true, warm: true },
} as const;
export type Mode = keyof typeof MODES;

/** Options of `startShop`. */
export interface ShopOptions {
  /** The shop's database, seeded by `seedShop`. */
  readonly databaseUrl: string;
  /** Redis for the cache (through a tiered store); absent: Larder's in-memory store. */
  readonly redisUrl?: string | undefined;
  readonly mode: Mode;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** The debug panel on HTML pages. @default false */
  readonly panel?: boolean;
  /** `GET /__larder/stats`: the counters since start, as JSON. @default false */
  readonly stats?: boolean;
  /** Cache key prefix (and the tiered bus channel's). @default 'shop' */
  readonly prefix?: string;
  /**
   * The WAL listener for writes made outside the app, when the server has
   * `wal_level=logical`. `slot` defaults to `larder_shop`; `dropSlotOnClose`
   * (for throwaway databases) removes it at `close`. `false`: never.
   */
  readonly cdc?: false | { readonly slot?: string; readonly dropSlotOnClose?: boolean };
  /** Warming at start in mode `full`. @default { budgetMs: 10_000 } */
  readonly warm?:
    | false
    | { readonly budgetMs?: number; readonly onProgress?: (done: number, total: number) => void };
  /** Replace the SQL layer's stampede protection by naive cache-aside (the cold-start benchmark's baseline). */
  readonly naiveQueries?: boolean;
  /** Session cookie secret. @default a fixed development secret */
  readonly secret?: string;
  /** @default console.error */
  readonly log?: (line: string) => void;
}

/** A running shop. */
export interface Shop {
  readonly url: string;
  readonly mode: Mode;
  /** One line: whether the WAL listener runs, or why not and what that means. */
  readonly cdc: string;
  /** The counters since start. */
  stats(): ShopStats;
  /** Stop serving, then close the listener, the cache and the pool. */
  close(): Promise<void>;
}

const VIEWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'views');

/** Start a shop in `options.mode`; resolves once it accepts requests (and has warmed, in `full`). */
export async function startShop(options: ShopOptions): Promise<Shop> {
  const layers = MODES[options.mode];
  if (layers === undefined)
    throw new Error(
      `startShop: mode must be one of ${Object.keys(MODES).join(', ')}, got ${String(options.mode)}`,
    );
  const log = options.log ?? ((line: string) => console.error(line));
  const prefix = options.prefix ?? 'shop';
  const stats = new RequestStats();
  const raw = countingPool(options.databaseUrl, stats, log);
  const anyLayer = layers.query || layers.page || layers.fragment || layers.sessions;
  const cache = anyLayer ? openCache(options.redisUrl, prefix) : undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const cdc = cache === undefined ? undefined : await startCdc(options, cache, raw, log);
    // Without the WAL listener, writes made outside the app show once the TTLs run out.
    const longTtls = cdc?.listener !== undefined;
    const ttl: { page: Duration; fragmentSeconds: number; query: Duration } = longTtls
      ? { page: '60s', fragmentSeconds: 600, query: '10m' }
      : { page: '10s', fragmentSeconds: 30, query: '30s' };
    const db = await openDatabase(raw, cache, {
      cacheQueries: layers.query,
      ttl: ttl.query,
      naive: options.naiveQueries === true,
    });
    if (cdc?.listener !== undefined)
      closers.push(() => stopCdc(cdc.listener as CdcListener, raw, cdc.slot, cdc.drop));
    const app = buildApp(options, { layers, cache, db, stats, ttl, prefix, log });
    const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
    closers.unshift(
      () => new Promise((resolve) => server.close(resolve)),
      async () => server.closeAllConnections(),
    );
    const unsubscribe = countQueryLayer(stats);
    closers.push(async () => unsubscribe());
    if (layers.warm && options.warm !== false)
      await warmShop(url, raw, {
        budgetMs: options.warm?.budgetMs ?? 10_000,
        onProgress: options.warm?.onProgress,
        log,
      });
    return {
      url,
      mode: options.mode,
      cdc: cdc?.line ?? 'CDC: not needed (mode off: nothing is cached)',
      stats: () => stats.snapshot(),
      close: async () => {
        for (const close of closers)
          await close().catch((error: unknown) => log(`shop: closing: ${String(error)}`));
        await cache?.close();
        await db.end();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    await cache?.close().catch(() => {});
    await raw.end().catch(() => {});
    throw error;
  }
}

function openCache(redisUrl: string | undefined, prefix: string): Cache {
  const store =
    redisUrl === undefined
      ? memoryStore()
      : tieredStore({ l2: redisStore({ url: redisUrl }), channel: `${prefix}:tiered` });
  return createCache({ store, prefix });
}

interface AppParts {
  readonly layers: (typeof MODES)[Mode];
  readonly cache: Cache | undefined;
  readonly db: ShopDatabase;
  readonly stats: RequestStats;
  readonly ttl: { readonly page: Duration; readonly fragmentSeconds: number };
  readonly prefix: string;
  readonly log: (line: string) => void;
}

function buildApp(options: ShopOptions, parts: AppParts): express.Express {
  const { layers, cache, db, stats } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const env = nunjucks.configure(VIEWS, { autoescape: true, express: app, noCache: false });
  env.addFilter('money', (cents: unknown) => `$${(Number(cents) / 100).toFixed(2)}`);
  env.addFilter('dollars', (cents: unknown) => (Number(cents) / 100).toFixed(2));
  env.addFilter('stars', (rating: unknown) => '★'.repeat(Math.max(0, Math.min(5, Number(rating) || 0))));
  env.addFilter('date', (value: unknown) =>
    value instanceof Date ? value.toISOString().slice(0, 10) : String(value),
  );
  env.addFilter(
    'load',
    function (
      this: { ctx: { loaders?: Record<string, () => Promise<unknown>> } },
      name: string,
      done: (error: unknown, value?: unknown) => void,
    ) {
      const loader = this.ctx.loaders?.[name];
      if (loader === undefined) return done(new Error(`no loader ${name}`));
      loader().then((value) => done(null, value), done);
    },
    true,
  );
  env.addExtension('LarderCache', larderCacheExtension(fragmentCache(cache, layers.fragment, stats)));
  app.set('view engine', 'njk');

  app.use(requestPanel(stats, { panel: options.panel === true, pageLayer: layers.page, mode: options.mode }));
  if (options.stats === true)
    app.get('/__larder/stats', (_request, response) => void response.json(stats.snapshot()));

  const pages =
    cache !== undefined && layers.page
      ? createHttpCache({ cache, hosts: ['127.0.0.1', 'localhost'], logger: parts.log })
      : undefined;
  const noop: RequestHandler = (_request, _response, next) => next();
  const markPageRoute: RequestHandler = (_request, response, next) => {
    response.locals[PAGE_ROUTE] = true;
    next();
  };
  const page = (tags: string[]): RequestHandler[] =>
    pages === undefined ? [noop] : [markPageRoute, cachePage(pages, { ttl: parts.ttl.page, tags })];
  const secret = options.secret ?? 'larder-shop-development-secret-not-for-production';
  const store =
    cache !== undefined && layers.sessions
      ? new LarderSessionStore({ cache, secret, database: { pool: db.raw, table: 'larder_sessions' } })
      : new PgSessionStore(db.raw, 'shop_sessions');
  const sessions = session({
    store,
    secret,
    name: 'shop.sid',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 7 * 86_400_000 },
  });
  shopRoutes(app, {
    db,
    mode: options.mode,
    fragmentSeconds: layers.fragment ? parts.ttl.fragmentSeconds : 0,
    page,
    session: sessions,
  });
  shopFallbacks(app, parts.log);
  return app;
}

/**
 * What the `{% cache %}` tag renders through: the cache, counting hits and
 * misses; with the fragment layer off, the body is rendered every time.
 */
function fragmentCache(cache: Cache | undefined, enabled: boolean, stats: RequestStats): Cache {
  const fragment: Cache['fragment'] = async (name, varyOn, ttl, render, fragmentOptions) => {
    if (!enabled || cache === undefined) return render();
    let rendered = false;
    const text = await cache.fragment(
      name,
      varyOn,
      ttl,
      () => {
        rendered = true;
        return render();
      },
      fragmentOptions,
    );
    stats.lookup('fragment', !rendered);
    return text;
  };
  // The extension calls only `fragment`; without a cache (mode off) there is nothing else to inherit.
  return Object.defineProperty(Object.create(cache ?? null), 'fragment', { value: fragment }) as Cache;
}

/** Count the SQL layer's hits and misses of this shop's requests. */
function countQueryLayer(stats: RequestStats): () => void {
  const listener = (message: unknown) => {
    const { outcome } = message as SqlChannelPayloads['larder:sql:query'];
    if (outcome === 'hit' || outcome === 'miss') stats.lookup('query', outcome === 'hit', true);
  };
  diagnostics.subscribe(SQL_CHANNELS.query, listener);
  return () => diagnostics.unsubscribe(SQL_CHANNELS.query, listener);
}

async function startCdc(
  options: ShopOptions,
  cache: Cache,
  raw: import('pg').Pool,
  log: (line: string) => void,
) {
  if (options.cdc === false)
    return { line: 'CDC: off (disabled by the caller); writes made outside the app show once TTLs run out' };
  const { rows } = await raw.query<{ wal_level: string }>('SHOW wal_level');
  const walLevel = rows[0]?.wal_level;
  if (walLevel !== 'logical')
    return {
      line: `CDC: off: this Postgres has wal_level=${walLevel} (the WAL listener needs logical); writes made outside the app (psql) show once TTLs run out (pages 10 s, fragments and queries 30 s)`,
    };
  const slot = options.cdc?.slot ?? 'larder_shop';
  const listener = createCdcListener({
    cache,
    connection: { connectionString: options.databaseUrl },
    slot,
    publication: slot,
    logger: (message) => log(`shop: CDC: ${message}`),
  });
  await listener.start();
  return {
    listener,
    slot,
    drop: options.cdc?.dropSlotOnClose === true,
    line: `CDC: on (logical slot ${slot}): writes made with psql invalidate within a WAL round trip`,
  };
}

async function stopCdc(
  listener: CdcListener,
  raw: import('pg').Pool,
  slot: string | undefined,
  drop: boolean | undefined,
) {
  await listener.stop();
  if (drop && slot !== undefined) {
    await raw.query('SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1', [
      slot,
    ]);
    await raw.query(`DROP PUBLICATION IF EXISTS ${slot}`);
  }
}
