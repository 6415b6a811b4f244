/**
 * The query cache under two ORMs, unchanged: Kysely (PostgresDialect given the
 * cached pool) and Drizzle (drizzle-orm/node-postgres given the cached pool).
 * The same app-level queries — a product by id, a category's cheapest 20 —
 * hit the cache on repeat, and writes made through each ORM's transaction API
 * are visible right after its COMMIT (and invisible after its rollback).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { and, asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, numeric, pgTable, text } from 'drizzle-orm/pg-core';
import { type Generated, Kysely, PostgresDialect } from 'kysely';
import { type SqlFixture, sqlFixture } from '../test-support/sql-fixture.js';
import { type CachedPool, cachedPool } from './cached-pool.js';
import type { SqlStats } from './sql-stats.js';

interface Database {
  products: { id: Generated<number>; category: string; name: string; price: string };
  stock: { product_id: number; quantity: number };
}

const products = pgTable('products', {
  id: integer('id').primaryKey(),
  category: text('category').notNull(),
  name: text('name').notNull(),
  price: numeric('price').notNull(),
});
const stock = pgTable('stock', {
  productId: integer('product_id').primaryKey(),
  quantity: integer('quantity').notNull(),
});

function counter(wrapper: { stats(): SqlStats }) {
  let last = wrapper.stats();
  return () => {
    const now = wrapper.stats();
    const delta = { hits: now.hits - last.hits, misses: now.misses - last.misses };
    last = now;
    return delta;
  };
}

describe('ORMs over the cached pool', () => {
  let fx: SqlFixture;

  before(async () => {
    fx = await sqlFixture('orm');
    const s = fx.schema;
    await fx.admin.query(`
      CREATE TABLE ${s}.products (id serial PRIMARY KEY, category text NOT NULL, name text NOT NULL, price numeric(10,2) NOT NULL);
      CREATE INDEX ON ${s}.products (category, price);
      CREATE TABLE ${s}.stock (product_id int PRIMARY KEY, quantity int NOT NULL);
      INSERT INTO ${s}.products (category, name, price)
        SELECT CASE WHEN g % 2 = 0 THEN 'tools' ELSE 'toys' END, 'p' || g, (g * 7 % 50) + 0.99 FROM generate_series(1, 60) g;
      INSERT INTO ${s}.stock SELECT id, 10 FROM ${s}.products;`);
  });
  after(() => fx.close());

  describe('Kysely (PostgresDialect)', () => {
    let pool: CachedPool;
    let db: Kysely<Database>;
    before(() => {
      pool = cachedPool(fx.pool(), fx.cache);
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    });
    after(() => db.destroy());

    const byId = (id: number) =>
      db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    const cheapest = (category: string) =>
      db
        .selectFrom('products')
        .select(['id', 'price'])
        .where('category', '=', category)
        .orderBy('price')
        .orderBy('id')
        .limit(20)
        .execute();

    it('serves repeated reads from the cache', async () => {
      const count = counter(pool);
      const first = await byId(1);
      assert.deepEqual(await byId(1), first);
      const list = await cheapest('tools');
      assert.equal(list.length, 20);
      assert.deepEqual(await cheapest('tools'), list);
      assert.deepEqual(count(), { hits: 2, misses: 2 });
    });

    it('an insert and an update in a transaction are visible right after COMMIT', async () => {
      const before = await cheapest('tools');
      await db.transaction().execute(async (trx) => {
        const { id } = await trx
          .insertInto('products')
          .values({ category: 'tools', name: 'bargain', price: '0.01' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('stock').values({ product_id: id, quantity: 1 }).execute();
        await trx.updateTable('products').set({ name: 'renamed' }).where('id', '=', 1).execute();
        // Inside the transaction, its own writes: read from the database, not the cache.
        assert.equal(
          (await trx.selectFrom('products').select('name').where('id', '=', 1).executeTakeFirst())?.name,
          'renamed',
        );
        // Until COMMIT, other connections keep reading the committed data (from the cache).
        assert.deepEqual(await cheapest('tools'), before);
      });
      const after = await cheapest('tools');
      assert.equal(after[0]?.price, '0.01');
      assert.equal((await byId(1))?.name, 'renamed');
    });

    it('a rolled-back transaction invalidates nothing', async () => {
      const count = counter(pool);
      const invalidations = pool.stats().invalidations;
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.updateTable('products').set({ name: 'never' }).where('id', '=', 3).execute();
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(pool.stats().invalidations, invalidations);
      assert.notEqual((await byId(3))?.name, 'never');
      assert.deepEqual(await byId(3), await byId(3));
      assert.ok(count().hits >= 1);
    });
  });

  describe('Drizzle (drizzle-orm/node-postgres)', () => {
    let pool: CachedPool;
    let db: ReturnType<typeof drizzle>;
    before(() => {
      pool = cachedPool(fx.pool(), fx.cache);
      db = drizzle({ client: pool });
    });

    const byId = async (id: number) => (await db.select().from(products).where(eq(products.id, id)))[0];
    const cheapest = (category: string) =>
      db
        .select({ id: products.id, price: products.price })
        .from(products)
        .where(eq(products.category, category))
        .orderBy(asc(products.price), asc(products.id))
        .limit(20);
    const quantity = async (id: number) =>
      (
        await db
          .select()
          .from(stock)
          .where(and(eq(stock.productId, id)))
      )[0]?.quantity;

    it('serves repeated reads from the cache (Drizzle passes its own type parsers and rowMode: array)', async () => {
      const count = counter(pool);
      const first = await byId(2);
      assert.deepEqual(await byId(2), first);
      const list = await cheapest('toys');
      assert.equal(list.length, 20);
      assert.deepEqual(await cheapest('toys'), list);
      assert.deepEqual(count(), { hits: 2, misses: 2 });
    });

    it('writes in db.transaction are visible right after COMMIT; a rolled-back nested transaction is not invalidated', async () => {
      const before = await cheapest('toys');
      assert.equal(await quantity(2), 10);
      await db.transaction(async (tx) => {
        await tx.insert(products).values({ id: 1000, category: 'toys', name: 'tiny', price: '0.02' });
        await tx.update(products).set({ name: 'updated' }).where(eq(products.id, 2));
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.update(stock).set({ quantity: 0 }).where(eq(stock.productId, 2));
            inner.rollback();
          }),
        );
        assert.deepEqual(await cheapest('toys'), before, 'other connections: committed data, from the cache');
      });
      assert.equal((await cheapest('toys'))[0]?.id, 1000);
      assert.equal((await byId(2))?.name, 'updated');
      const count = counter(pool);
      assert.equal(await quantity(2), 10);
      assert.deepEqual(count(), { hits: 1, misses: 0 });
    });
  });
});
