/**
 * Pages invalidated by the data they were built from: an Express page whose
 * handler runs two cached queries (tables a and b) through larder/sql, on a
 * private Postgres (wal_level=logical) and the shared Redis. A write to a or
 * b — through the cached pool, or with a plain pg client that only the WAL
 * listener sees — makes the next request render the page again; a write to c
 * does not. A write committed between the page's query and its store leaves
 * no stale page served; the naive page (explicit table tags, generations
 * read when the page is stored) serves the old page in the same race.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type pg from 'pg';
import { cachePage } from '../adapters/express/index.js';
import type { Cache } from '../core/types.js';
import { createHttpCache, type HttpCache } from '../http/index.js';
import { httpRequest } from '../test-support/http-request.js';
import { eventually } from '../test-support/postgres-server.js';
import { startThreeTables, type ThreeTables } from '../test-support/three-tables.js';
import type { CachedPool } from './cached-pool.js';
import { type DatabaseIdentity, tableTag } from './table-tags.js';

describe('pages carry the data dependencies of their SQL queries', () => {
  let fx: ThreeTables;
  let psql: pg.Client;
  let cache: Cache;
  let pool: CachedPool;
  let db: DatabaseIdentity;
  let pages: HttpCache;
  let url: string;
  let close: () => Promise<void>;
  const renders = new Map<string, number>();
  /** Set by a test: the handler of /race waits here between its two queries. */
  let between: (() => Promise<void>) | undefined;

  const value = (table: string, via: 'cached' | 'raw' = 'cached') => fx.value(table, via);
  const get = async (path: string) =>
    (await httpRequest(`${url}${path}`, { headers: { host: 'localhost' } })).body;

  before(async () => {
    fx = await startThreeTables('page-deps');
    ({ psql, cache, pool, db } = fx);
    pages = createHttpCache({ cache, hosts: ['localhost'], ttl: '5m', logger: () => {} });
    const app = express();
    const count = (path: string) => renders.set(path, (renders.get(path) ?? 0) + 1);
    app.get('/page', cachePage(pages), async (_req, res) => {
      count('/page');
      res.send(`a=${await value('a')} b=${await value('b')}`);
    });
    app.get('/race', cachePage(pages), async (_req, res) => {
      count('/race');
      const a = await value('a');
      await between?.();
      res.send(`a=${a} b=${await value('b')}`);
    });
    // The naive page: the tables it reads are explicit tags, their generations read at store time.
    app.get(
      '/naive',
      cachePage(pages, { tags: [tableTag(db, 'public', 'a'), tableTag(db, 'public', 'b')] }),
      async (_req, res) => {
        count('/naive');
        const a = await value('a', 'raw');
        await between?.();
        res.send(`a=${a} b=${await value('b', 'raw')}`);
      },
    );
    const listening = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => listening.once('listening', resolve));
    url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    close = () =>
      new Promise<void>((resolve) => {
        listening.closeAllConnections();
        listening.close(() => resolve());
      });
  });

  after(async () => {
    await close?.();
    await pages?.idle();
    await fx?.close();
  });

  it('a write to a or b through the cached pool re-renders the page; a write to c does not', async () => {
    assert.equal(await get('/page'), 'a=1 b=1');
    await pages.idle();
    assert.equal(await get('/page'), 'a=1 b=1');
    assert.equal(renders.get('/page'), 1);
    await pool.query('UPDATE c SET v = v + 1 WHERE id = 1');
    assert.equal(await get('/page'), 'a=1 b=1');
    assert.equal(renders.get('/page'), 1, 'a write to c leaves the page stored');
    await pool.query('UPDATE a SET v = 2 WHERE id = 1');
    assert.equal(await get('/page'), 'a=2 b=1', 'the write to a is on the next page');
    await pages.idle();
    await pool.query('UPDATE b SET v = 2 WHERE id = 1');
    assert.equal(await get('/page'), 'a=2 b=2', 'the write to b is on the next page');
    assert.equal(renders.get('/page'), 3);
  });

  it('a write with a plain pg client re-renders the page through the WAL listener; one to c does not', async () => {
    const first = await get('/page');
    await pages.idle();
    const before = renders.get('/page') ?? 0;
    await cache.set('c-probe', 1, { tags: [tableTag(db, 'public', 'c')] });
    await psql.query('UPDATE c SET v = v + 1 WHERE id = 1');
    await eventually(
      async () => (await cache.get('c-probe')) === undefined,
      5_000,
      'the write to c to be seen',
    );
    assert.equal(await get('/page'), first);
    assert.equal(renders.get('/page'), before, 'a write to c leaves the page stored');
    await psql.query('UPDATE b SET v = 10 WHERE id = 1');
    await eventually(async () => /b=10$/.test(await get('/page')), 5_000, 'the write to b to reach the page');
    await pages.idle();
    await psql.query('UPDATE a SET v = 10 WHERE id = 1');
    await eventually(
      async () => (await get('/page')) === 'a=10 b=10',
      5_000,
      'the write to a to reach the page',
    );
  });

  /**
   * Request `path`; between its two queries, the test — outside the request's
   * dependency scope, as another request would — commits (and invalidates)
   * `UPDATE a SET v = next`.
   */
  async function race(path: string, next: number): Promise<string> {
    let readDone!: () => void;
    let writeDone!: () => void;
    const read = new Promise<void>((resolve) => {
      readDone = resolve;
    });
    const written = new Promise<void>((resolve) => {
      writeDone = resolve;
    });
    between = () => {
      between = undefined;
      readDone();
      return written;
    };
    const response = get(path);
    await read;
    await pool.query(`UPDATE a SET v = ${next} WHERE id = 1`);
    writeDone();
    const body = await response;
    await pages.idle();
    return body;
  }

  it('the race: a write committed between the page’s query and its store leaves no stale page served', async () => {
    await pool.query('UPDATE a SET v = 20 WHERE id = 1');
    assert.equal((await race('/race', 21)).split(' ')[0], 'a=20', 'the request gets what it rendered');
    assert.match(await get('/race'), /^a=21 /, 'the page was born invalid: never served');
  });

  it('the naive page (tags added after rendering) serves the old page in the same race', async () => {
    await pool.query('UPDATE a SET v = 30 WHERE id = 1');
    assert.equal((await race('/naive', 31)).split(' ')[0], 'a=30');
    assert.match(await get('/naive'), /^a=30 /, 'stale, and served: the harness sees the race');
  });

  it('a fragment rendered from a cached query is rendered again after a write to its table, not to another', async () => {
    let rendered = 0;
    const fragment = () =>
      cache.fragment('product_box', [1], '5m', async () => {
        rendered++;
        return `<b>${await value('b')}</b>`;
      });
    const first = await fragment();
    await cache.idle();
    assert.equal(await fragment(), first);
    await pool.query('UPDATE c SET v = v + 1 WHERE id = 1');
    assert.equal(await fragment(), first);
    assert.equal(rendered, 1);
    await pool.query('UPDATE b SET v = 77 WHERE id = 1');
    assert.equal(await fragment(), '<b>77</b>');
    assert.equal(rendered, 2);
  });
});
