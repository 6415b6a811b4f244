/**
 * The shop in mode `full` keeps serving when its Redis does not: killed,
 * frozen, or restarted empty. Pages come from Postgres (misses after the
 * cache's store timeout), a logged-in visitor stays logged in (sessions are
 * `cached_db`: Postgres is their source of truth), and once Redis is back the
 * pages are right, including a price changed while it was down.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { databaseUrl, uniquePrefix } from '../../../src/test-support/env.js';
import { type RedisServer, startRedisServer } from '../../../src/test-support/redis-server.js';
import { seedShop } from '../src/seed.js';
import { type Shop, startShop } from '../src/shop.js';

/** Generous: a degraded request waits at most the store timeout, but CI shares 2 cores. */
const REQUEST_TIMEOUT_MS = 15_000;

describe('the shop when Redis fails (mode full)', () => {
  const database = `shop_redis_down_${randomBytes(4).toString('hex')}`;
  let redis: RedisServer;
  let shop: Shop;
  let url: string;

  before(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    url = withDatabase(databaseUrl(), database);
    await seedShop(url, { scale: 0.01 });
    redis = await startRedisServer();
    shop = await startShop({
      databaseUrl: url,
      redisUrl: redis.url,
      mode: 'full',
      prefix: uniquePrefix('shop-redis-down'),
      cdc: false,
      warm: { budgetMs: 5_000 },
      log: () => {},
    });
  });

  after(async () => {
    await shop?.close();
    await redis?.stop();
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  async function get(target: string, cookie?: string): Promise<{ status: number; body: string }> {
    const response = await fetch(shop.url + target, {
      headers: cookie === undefined ? {} : { cookie },
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, body: await response.text() };
  }

  async function logIn(): Promise<string> {
    const response = await fetch(`${shop.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=user4%40example.com&password=password',
      redirect: 'manual',
    });
    assert.equal(response.status, 303);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  }

  async function everythingWorks(cookie: string, label: string): Promise<void> {
    for (const target of ['/', '/c/category-1', '/p/2', '/api/products/2'])
      assert.equal((await get(target)).status, 200, `${label}: ${target}`);
    const profile = await get('/profile', cookie);
    assert.equal(profile.status, 200, `${label}: still logged in`);
    assert.match(profile.body, /user4@example\.com/);
  }

  it('serves pages and keeps a visitor logged in while Redis is killed, frozen and restarted empty', async () => {
    const cookie = await logIn();
    await everythingWorks(cookie, 'Redis up');
    await redis.kill();
    await everythingWorks(cookie, 'Redis killed');
    await redis.restart(); // empty: every cached page, fragment, result and session copy is gone
    await everythingWorks(cookie, 'Redis restarted empty');
    redis.freeze();
    try {
      await everythingWorks(cookie, 'Redis frozen');
    } finally {
      redis.thaw();
    }
    await everythingWorks(cookie, 'Redis thawed');
  });

  it('shows a price changed while Redis was down once it is back', async () => {
    await get('/p/5'); // cached
    await redis.kill();
    const admin = await fetch(`${shop.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=admin%40example.com&password=admin',
      redirect: 'manual',
    });
    assert.equal(admin.status, 303, 'logging in while Redis is down');
    const cookie = (admin.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const saved = await fetch(`${shop.url}/admin/products/5`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: 'price=77.77&stock=3',
      redirect: 'manual',
    });
    assert.equal(saved.status, 303, 'the write goes to Postgres while Redis is down');
    assert.match((await get('/p/5')).body, /data-product-id="5">\$77\.77</, 'Redis down: from Postgres');
    await redis.restart();
    // The invalidation was journaled while Redis was down and is replayed once it answers;
    // the restarted Redis is empty anyway. Either way: never the old price.
    for (let i = 0; i < 5; i++) assert.match((await get('/p/5')).body, /data-product-id="5">\$77\.77</);
  });
});

function withDatabase(base: string, database: string): string {
  const parsed = new URL(base);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
