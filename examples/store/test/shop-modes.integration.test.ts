/**
 * Content identity across the cache modes: the shop in every mode, against a
 * private Postgres with `wal_level=logical` (so each shop's WAL listener
 * runs) and the shared Redis, answers every page byte for byte as the shop
 * without a cache does — when cold, when cached, right after an admin write
 * through that mode's own shop (after-commit invalidation), after a direct
 * SQL write from outside the app (the WAL listener), and for a logged-in
 * visitor with a cart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { redisUrl, uniquePrefix } from '../../../src/test-support/env.js';
import { type PostgresServer, startPostgresServer } from '../../../src/test-support/postgres-server.js';
import { seedShop } from '../src/seed.js';
import { MODES, type Mode, type Shop, startShop } from '../src/shop.js';
import { removeKeys } from './remove-keys.js';

const MODE_NAMES = Object.keys(MODES) as Mode[];
const PAGES = [
  '/',
  '/c/category-1',
  '/c/category-1?page=2&sort=price',
  '/c/category-2?sort=newest',
  '/p/1',
  '/p/3',
  '/p/40',
  '/api/products/1',
  '/api/products/3',
  '/api/products?category=category-1&sort=price',
  '/login',
];
/** Well past a WAL round trip on a loaded machine; short of the 30 s TTLs a shop without its listener falls back to. */
const CDC_DEADLINE_MS = 20_000;

/** A visitor: a cookie jar of one session cookie. */
class Visitor {
  #cookie: string | undefined;
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }
  async get(target: string): Promise<string> {
    const response = await fetch(this.base + target, {
      headers: this.#cookie === undefined ? {} : { cookie: this.#cookie },
      redirect: 'manual',
    });
    this.#keep(response);
    assert.ok(response.status < 500, `${target}: ${response.status}`);
    return response.text();
  }
  async post(target: string, fields: Record<string, string>): Promise<Response> {
    const response = await fetch(this.base + target, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(this.#cookie ? { cookie: this.#cookie } : {}),
      },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    this.#keep(response);
    await response.arrayBuffer();
    return response;
  }
  #keep(response: Response): void {
    const set = response.headers.get('set-cookie');
    if (set !== null) this.#cookie = set.split(';')[0];
  }
}

describe('the shop in every mode answers as the shop without a cache does', () => {
  let server: PostgresServer;
  const shops = new Map<Mode, Shop>();
  /** Every cache prefix a shop of this file used, removed from the shared Redis at the end. */
  const prefixes: string[] = [];
  const prefix = (name: string) => {
    const unique = uniquePrefix(name);
    prefixes.push(unique);
    return unique;
  };
  let sql: pg.Client;

  before(async () => {
    server = await startPostgresServer();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE shop');
    await admin.end();
    await seedShop(server.urlFor('shop'), { scale: 0.01 });
    for (const mode of MODE_NAMES)
      shops.set(
        mode,
        await startShop({
          databaseUrl: server.urlFor('shop'),
          redisUrl: redisUrl(),
          mode,
          prefix: prefix(`shop-${mode}`),
          cdc: { slot: `shop_test_${mode}`, dropSlotOnClose: true },
          warm: { budgetMs: 5_000 },
          log: () => {},
        }),
      );
    sql = new pg.Client({ connectionString: server.urlFor('shop') });
    await sql.connect();
  });

  after(async () => {
    await sql?.end();
    for (const shop of shops.values()) await shop.close();
    await server?.stop();
    await removeKeys(...prefixes);
  });

  const shop = (mode: Mode) => shops.get(mode) as Shop;

  /** Every page of `mode` (twice: the second load may come from a cache) equals the off shop's. */
  async function differences(mode: Mode, pages = PAGES): Promise<string[]> {
    const found: string[] = [];
    for (const target of pages) {
      const expected = await new Visitor(shop('off').url).get(target);
      for (let load = 1; load <= 2; load++) {
        const actual = await new Visitor(shop(mode).url).get(target);
        if (actual !== expected) found.push(`${mode} ${target} (load ${load})`);
      }
    }
    return found;
  }

  async function until(mode: Mode, deadlineMs: number): Promise<string[]> {
    const deadline = Date.now() + deadlineMs;
    let found = await differences(mode);
    while (found.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      found = await differences(mode);
    }
    return found;
  }

  it('serves every page identically, cold and cached', async () => {
    for (const mode of MODE_NAMES) assert.deepEqual(await differences(mode), [], mode);
  });

  it('shows an admin’s price and stock change on the next load in that mode, without the WAL listener', async () => {
    let price = 1000;
    for (const mode of MODE_NAMES) {
      // A shop without its WAL listener: only the write's own after-commit invalidation can show it.
      const own = await startShop({
        databaseUrl: server.urlFor('shop'),
        redisUrl: redisUrl(),
        mode,
        prefix: prefix(`shop-own-${mode}`),
        cdc: false,
        warm: false,
        log: () => {},
      });
      try {
        const admin = new Visitor(own.url);
        assert.equal(
          (await admin.post('/login', { email: 'admin@example.com', password: 'admin' })).status,
          303,
        );
        price += 17;
        for (const target of PAGES) await new Visitor(own.url).get(target); // everything cached
        const saved = await admin.post('/admin/products/3', {
          price: (price / 100).toFixed(2),
          stock: String(price % 50),
        });
        assert.equal(saved.status, 303, mode);
        const page = await new Visitor(own.url).get('/p/3');
        assert.match(
          page,
          new RegExp(`data-product-id="3">\\$${(price / 100).toFixed(2).replace('.', '\\.')}<`),
          mode,
        );
        for (const target of PAGES) {
          const expected = await new Visitor(shop('off').url).get(target);
          assert.equal(
            await new Visitor(own.url).get(target),
            expected,
            `${mode} ${target}, right after its own write`,
          );
        }
      } finally {
        await own.close();
      }
    }
    // The shops with WAL listeners see those writes as writes from outside.
    for (const mode of MODE_NAMES)
      assert.deepEqual(await until(mode, CDC_DEADLINE_MS), [], `${mode}, after CDC`);
  });

  it('shows a price changed with SQL outside the app once the WAL listener has seen it', async () => {
    for (const mode of MODE_NAMES) for (const target of PAGES) await new Visitor(shop(mode).url).get(target);
    await sql.query('UPDATE products SET price_cents = price_cents + 101 WHERE id IN (1, 40)');
    await sql.query("UPDATE categories SET name = name || ' (new)' WHERE slug = 'category-1'");
    for (const mode of MODE_NAMES) assert.deepEqual(await until(mode, CDC_DEADLINE_MS), [], mode);
  });

  it('serves a logged-in visitor with a cart identically', async () => {
    const pages = ['/', '/cart', '/profile', '/p/1', '/c/category-1'];
    const expected = new Map<string, string>();
    const reference = new Visitor(shop('off').url);
    await reference.post('/login', { email: 'user2@example.com', password: 'password' });
    await reference.post('/cart', { productId: '1', quantity: '2' });
    for (const target of pages) expected.set(target, await reference.get(target));
    assert.match(expected.get('/') as string, /<span id="cart-count">2<\/span>/);
    for (const mode of MODE_NAMES) {
      const visitor = new Visitor(shop(mode).url);
      assert.equal(
        (await visitor.post('/login', { email: 'user2@example.com', password: 'password' })).status,
        303,
      );
      await visitor.post('/cart', { productId: '1', quantity: '2' });
      for (const target of pages)
        assert.equal(await visitor.get(target), expected.get(target), `${mode} ${target}`);
    }
  });

  it('refuses a wrong password and a non-admin’s write', async () => {
    const visitor = new Visitor(shop('full').url);
    assert.equal(
      (await visitor.post('/login', { email: 'user3@example.com', password: 'nope' })).status,
      401,
    );
    await visitor.post('/login', { email: 'user3@example.com', password: 'password' });
    assert.equal((await visitor.post('/admin/products/1', { price: '0.01', stock: '1' })).status, 403);
  });
});
