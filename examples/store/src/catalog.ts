/**
 * The shop's reads, written as an ORM would issue them (including the N+1
 * rating lookups of a home page). Each takes the pool to read through, so
 * one function serves every mode.
 */
import type pg from 'pg';

/** A product as lists show it. */
export interface ProductCard {
  readonly id: number;
  readonly name: string;
  readonly price_cents: number;
}

/** Products per category page. */
export const PAGE_SIZE = 24;
/** The sort orders of a category page. */
export const SORTS = { name: 'name, id', price: 'price_cents, id', newest: 'created_at DESC, id' } as const;
export type Sort = keyof typeof SORTS;

export async function featured(db: pg.Pool) {
  const { rows } = await db.query<ProductCard>(
    'SELECT id, name, price_cents FROM products WHERE featured ORDER BY id LIMIT 12',
  );
  // One rating query per product, as a lazy-loading ORM does.
  return Promise.all(rows.map(async (product) => ({ ...product, rating: await rating(db, product.id) })));
}

export async function rating(db: pg.Pool, productId: number) {
  const { rows } = await db.query<{ average: string | null; count: string }>(
    'SELECT round(avg(rating), 1)::text AS average, count(*)::text AS count FROM reviews WHERE product_id = $1',
    [productId],
  );
  return { average: rows[0]?.average ?? null, count: Number(rows[0]?.count ?? 0) };
}

export async function categoryCounts(db: pg.Pool) {
  const { rows } = await db.query<{ slug: string; name: string; products: string }>(
    `SELECT c.slug, c.name, count(p.id)::text AS products FROM categories c
     LEFT JOIN products p ON p.category_id = c.id GROUP BY c.id ORDER BY c.name, c.id`,
  );
  return rows;
}

export async function categories(db: pg.Pool) {
  const { rows } = await db.query<{ slug: string; name: string }>(
    'SELECT slug, name FROM categories ORDER BY name, id',
  );
  return rows;
}

export async function bestSellers(db: pg.Pool) {
  const { rows } = await db.query<ProductCard & { sold: string }>(
    `SELECT p.id, p.name, p.price_cents, sum(oi.quantity)::text AS sold FROM order_items oi
     JOIN products p ON p.id = oi.product_id GROUP BY p.id ORDER BY sum(oi.quantity) DESC, p.id LIMIT 10`,
  );
  return rows;
}

export async function recentReviews(db: pg.Pool) {
  const { rows } = await db.query<{
    rating: number;
    body: string;
    product_id: number;
    product: string;
    author: string;
  }>(
    `SELECT r.rating, r.body, p.id AS product_id, p.name AS product, u.name AS author FROM reviews r
     JOIN products p ON p.id = r.product_id JOIN users u ON u.id = r.user_id
     ORDER BY r.created_at DESC, r.id DESC LIMIT 5`,
  );
  return rows;
}

export async function category(db: pg.Pool, slug: string) {
  const { rows } = await db.query<{ id: number; slug: string; name: string; description: string }>(
    'SELECT id, slug, name, description FROM categories WHERE slug = $1',
    [slug],
  );
  return rows[0];
}

export async function categoryPage(db: pg.Pool, categoryId: number, page: number, sort: Sort) {
  const [{ rows }, count] = await Promise.all([
    db.query<ProductCard>(
      `SELECT id, name, price_cents FROM products WHERE category_id = $1 ORDER BY ${SORTS[sort]} LIMIT ${PAGE_SIZE} OFFSET $2`,
      [categoryId, (page - 1) * PAGE_SIZE],
    ),
    db.query<{ n: string }>('SELECT count(*)::text AS n FROM products WHERE category_id = $1', [categoryId]),
  ]);
  const total = Number(count.rows[0]?.n ?? 0);
  return { products: rows, total, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}

export async function product(db: pg.Pool, id: number) {
  const { rows } = await db.query<{
    id: number;
    name: string;
    description: string;
    price_cents: number;
    category_id: number;
    category_slug: string;
    category_name: string;
  }>(
    `SELECT p.id, p.name, p.description, p.price_cents, p.category_id, c.slug AS category_slug, c.name AS category_name
     FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1`,
    [id],
  );
  return rows[0];
}

export async function stock(db: pg.Pool, id: number) {
  const { rows } = await db.query<{ stock: number }>('SELECT stock FROM inventory WHERE product_id = $1', [
    id,
  ]);
  return rows[0]?.stock ?? 0;
}

export async function reviews(db: pg.Pool, productId: number) {
  const { rows } = await db.query<{ rating: number; body: string; author: string }>(
    `SELECT r.rating, r.body, u.name AS author FROM reviews r JOIN users u ON u.id = r.user_id
     WHERE r.product_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 10`,
    [productId],
  );
  return rows;
}

export async function related(db: pg.Pool, categoryId: number, productId: number) {
  const { rows } = await db.query<ProductCard>(
    `SELECT id, name, price_cents FROM products WHERE category_id = $1 AND id <> $2 ORDER BY id LIMIT 6`,
    [categoryId, productId],
  );
  return rows;
}

export async function productsByIds(db: pg.Pool, ids: readonly number[]) {
  if (ids.length === 0) return [];
  const { rows } = await db.query<ProductCard>(
    'SELECT id, name, price_cents FROM products WHERE id = ANY($1::int[]) ORDER BY id',
    [ids],
  );
  return rows;
}

export async function user(db: pg.Pool, id: number) {
  const { rows } = await db.query<{ id: number; email: string; name: string; is_admin: boolean }>(
    'SELECT id, email, name, is_admin FROM users WHERE id = $1',
    [id],
  );
  return rows[0];
}

export async function orders(db: pg.Pool, userId: number) {
  const { rows } = await db.query<{ id: number; created_at: Date; items: string; total_cents: string }>(
    `SELECT o.id, o.created_at, count(*)::text AS items, sum(oi.quantity * oi.price_cents)::text AS total_cents
     FROM orders o JOIN order_items oi ON oi.order_id = o.id WHERE o.user_id = $1
     GROUP BY o.id ORDER BY o.created_at DESC, o.id DESC LIMIT 10`,
    [userId],
  );
  return rows;
}
