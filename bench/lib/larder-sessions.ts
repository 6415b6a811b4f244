/**
 * Larder's express-session store (`larder/express-session`, issue 12) as the
 * three Larder contenders of bench/sessions.ts use it: on a Redis cache, on a
 * tiered cache (L1 memory + Redis), and in cached_db mode (Postgres the
 * source of truth, the Redis cache in front). Only this file knows the
 * store's API, so only this file changes if it differs from the plan:
 *
 *   new LarderSessionStore({ cache, secret, database?: { pool, table? } }); await store.setup();
 *
 * The subpath is resolved through package.json's exports map, to the same
 * build as the rest of the library (./larder-shared.ts) or, with
 * LARDER_BENCH_LIBRARY=src, to the sources; its types are declared here
 * because it may not exist yet when this file is type-checked.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Store } from 'express-session';
import type pg from 'pg';
import { type Cache, createCache, redisStore, tieredStore } from './larder-shared.js';

/** The Larder contenders, by store. */
export type LarderSessionKind = 'larder-redis' | 'larder-tiered' | 'larder-cached-db';

/** The planned constructor options. */
interface LarderSessionStoreOptions {
  readonly cache: Cache;
  readonly secret: string;
  readonly database?: { readonly pool: pg.Pool; readonly table?: string };
}

/** The planned store: an express-session `Store`, with a table to create in cached_db mode. */
interface LarderSessionStore extends Store {
  setup(): Promise<void>;
}

interface LarderSessionModule {
  readonly LarderSessionStore: new (options: LarderSessionStoreOptions) => LarderSessionStore;
}

const ROOT = new URL('../../', import.meta.url);
const SUBPATH = './express-session';
/** 32 bytes or more, as the store requires; a benchmark's own, never a real one. */
const SECRET = 'larder-bench-sessions-secret-0123456789abcdef';

/** Where `larder/express-session` lives in the build (or the sources), or undefined if it is not exported. */
function moduleUrl(): string | undefined {
  const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    exports?: Record<string, { default?: string } | string>;
  };
  const entry = manifest.exports?.[SUBPATH];
  const target = typeof entry === 'string' ? entry : entry?.default;
  if (target === undefined || !target.startsWith('./dist/')) return undefined;
  const inBuild = target.slice('./dist/'.length);
  const given = process.env.LARDER_BENCH_DIST ?? '';
  if (process.env.LARDER_BENCH_LIBRARY === 'src' || given === '')
    return new URL(`src/${inBuild.replace(/\.js$/, '.ts')}`, ROOT).href;
  return new URL(inBuild, pathToFileURL(given.endsWith('/') ? given : `${given}/`)).href;
}

let loaded: Promise<LarderSessionModule | string> | undefined;

/** The module, or why it could not be loaded (not exported yet, or failing to load). */
export function loadLarderSessions(): Promise<LarderSessionModule | string> {
  loaded ??= (async () => {
    const url = moduleUrl();
    if (url === undefined) return `package.json exports no "larder${SUBPATH.slice(1)}"`;
    try {
      const module = (await import(url)) as Partial<LarderSessionModule>;
      if (typeof module.LarderSessionStore !== 'function')
        return `larder${SUBPATH.slice(1)} exports no LarderSessionStore`;
      return module as LarderSessionModule;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  })();
  return loaded;
}

/** Where a Larder contender keeps its sessions. */
export interface LarderSessionStoreParts {
  readonly redisUrl: string;
  /** The cache's key prefix, unique to the run. */
  readonly prefix: string;
  /** cached_db only: the pool whose queries are counted (its search_path is the run's schema). */
  readonly pool?: pg.Pool;
  /** cached_db only: create the table (the first server of the run). */
  readonly setup: boolean;
}

/** The store of one Larder contender, ready for express-session. */
export async function larderSessionStore(
  kind: LarderSessionKind,
  parts: LarderSessionStoreParts,
): Promise<Store> {
  const module = await loadLarderSessions();
  if (typeof module === 'string') throw new Error(`larder/express-session: ${module}`);
  const redis = redisStore({ url: parts.redisUrl });
  const cache = createCache({
    store: kind === 'larder-tiered' ? tieredStore({ l2: redis }) : redis,
    prefix: parts.prefix,
    // As docs/sessions.md advises: a session write is not worth dropping at the default 100 ms.
    storeTimeout: '1s',
  });
  // Connected before the server says it is ready, as connect-redis's client is (`await
  // client.connect()`): otherwise the first logins race the connection and can time out.
  await cache.get('larder-bench-warm-up');
  if (kind !== 'larder-cached-db') return new module.LarderSessionStore({ cache, secret: SECRET });
  if (parts.pool === undefined) throw new Error('larder-cached-db needs a pool');
  const store = new module.LarderSessionStore({
    cache,
    secret: SECRET,
    database: { pool: parts.pool, table: 'larder_sessions' },
  });
  if (parts.setup) await store.setup();
  return store;
}
