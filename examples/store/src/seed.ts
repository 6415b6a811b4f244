/**
 * The shop's schema and its deterministic seed: ~50 categories, 100,000
 * products with descriptions, 10,000 users, orders with items, reviews (at
 * scale 1). Everything is generated inside Postgres from `generate_series`
 * and `hashtext`, so a seed is the same on every machine of one Postgres
 * major version and takes seconds, not minutes.
 */
import { scryptSync } from 'node:crypto';
import { sessionTableSql } from 'larder/session';
import pg from 'pg';
import { pgSessionTableSql } from './pg-session-store.js';

/** Bump when the schema or the generated data changes: an older seed is replaced. */
const SEED_VERSION = 3;

/** Options of `seedShop`. */
export interface SeedOptions {
  /** Size relative to the full shop (1 = 100,000 products, 10,000 users). @default 1 */
  readonly scale?: number;
  /** Called as each phase advances (`done` of `total` steps). */
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

/** The row counts of a seed at `scale`. */
export function seedSizes(scale: number) {
  const at = (n: number, least: number) => Math.max(least, Math.round(n * scale));
  return {
    categories: 50,
    products: at(100_000, 200),
    users: at(10_000, 20),
    orders: at(30_000, 60),
    reviews: at(150_000, 300),
  };
}

/** The password hash format of `users.password_hash`: `scrypt$<salt hex>$<hash hex>`. */
export function hashPassword(password: string, salt: string): string {
  return `scrypt$${salt}$${scryptSync(password, salt, 32).toString('hex')}`;
}

const TABLES = ['order_items', 'orders', 'reviews', 'inventory', 'products', 'categories', 'users'];

const SCHEMA = `
CREATE TABLE categories (
  id int PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT NULL, description text NOT NULL);
CREATE TABLE products (
  id int PRIMARY KEY, category_id int NOT NULL REFERENCES categories, name text NOT NULL,
  description text NOT NULL, price_cents int NOT NULL CHECK (price_cents >= 0),
  featured boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL);
CREATE TABLE inventory (
  product_id int PRIMARY KEY REFERENCES products ON DELETE CASCADE, stock int NOT NULL CHECK (stock >= 0));
CREATE TABLE users (
  id int PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, password_hash text NOT NULL,
  is_admin boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL);
CREATE TABLE orders (
  id int PRIMARY KEY, user_id int NOT NULL REFERENCES users, created_at timestamptz NOT NULL,
  status text NOT NULL);
CREATE TABLE order_items (
  order_id int NOT NULL REFERENCES orders ON DELETE CASCADE, product_id int NOT NULL REFERENCES products,
  quantity int NOT NULL, price_cents int NOT NULL, PRIMARY KEY (order_id, product_id));
CREATE TABLE reviews (
  id int PRIMARY KEY, product_id int NOT NULL REFERENCES products, user_id int NOT NULL REFERENCES users,
  rating int NOT NULL CHECK (rating BETWEEN 1 AND 5), body text NOT NULL, created_at timestamptz NOT NULL);
`;

const INDEXES = `
CREATE INDEX products_category_name ON products (category_id, name, id);
CREATE INDEX products_category_price ON products (category_id, price_cents, id);
CREATE INDEX products_category_created ON products (category_id, created_at DESC, id);
CREATE INDEX products_featured ON products (id) WHERE featured;
CREATE INDEX orders_user_created ON orders (user_id, created_at DESC);
CREATE INDEX order_items_product ON order_items (product_id);
CREATE INDEX reviews_product_created ON reviews (product_id, created_at DESC);
CREATE INDEX reviews_created ON reviews (created_at DESC);
`;

const WORDS =
  "ARRAY['oak','linen','copper','wool','cedar','steel','cotton','walnut','ceramic','leather','bamboo','glass','marble','canvas','brass','felt']";
const NOUNS =
  "ARRAY['chair','lamp','kettle','blanket','mug','desk','jacket','bowl','shelf','bag','clock','vase','rug','stool','tray','basket']";
/** A deterministic pseudo-random int in [0, n) from a label and a row number. */
const pick = (label: string, n: number | string, row = 'g') => `(abs(hashtext('${label}' || ${row})) % ${n})`;

/**
 * Create the shop's tables in `databaseUrl`'s public schema and fill them,
 * unless a seed of this version and scale is there already (`reused: true`).
 * An interrupted or older seed is dropped and done again.
 */
export async function seedShop(databaseUrl: string, options: SeedOptions = {}): Promise<{ reused: boolean }> {
  const scale = options.scale ?? 1;
  if (!(scale > 0 && scale <= 10)) throw new Error(`seedShop: scale must be in (0, 10], got ${scale}`);
  const stamp = `v${SEED_VERSION} scale=${scale}`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS shop_meta (key text PRIMARY KEY, value text NOT NULL)');
    const found = await client.query<{ value: string }>("SELECT value FROM shop_meta WHERE key = 'seed'");
    if (found.rows[0]?.value === stamp) return { reused: true };
    await fill(client, scale, options.onProgress ?? (() => {}));
    await client.query(
      "INSERT INTO shop_meta VALUES ('seed', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      [stamp],
    );
    return { reused: false };
  } finally {
    await client.end();
  }
}

async function fill(client: pg.Client, scale: number, progress: NonNullable<SeedOptions['onProgress']>) {
  const size = seedSizes(scale);
  await client.query("DELETE FROM shop_meta WHERE key = 'seed'");
  await client.query(`DROP TABLE IF EXISTS ${TABLES.join(', ')}, shop_sessions, larder_sessions CASCADE`);
  await client.query(SCHEMA);
  await client.query(pgSessionTableSql('shop_sessions'));
  await client.query(sessionTableSql());
  await client.query(
    `INSERT INTO categories
     SELECT g, 'category-' || g, initcap((${WORDS})[1 + ${pick('cw', 16)}] || ' ' || (${NOUNS})[1 + ${pick('cn', 16)}]) || 's ' || g,
            'Everything ' || (${WORDS})[1 + ${pick('cd', 16)}] || ' for your home.'
     FROM generate_series(1, $1) g`,
    [size.categories],
  );
  const chunks = 10;
  const per = Math.ceil(size.products / chunks);
  for (let i = 0; i < chunks; i++) {
    progress('products', i, chunks);
    await client.query(
      `INSERT INTO products
       SELECT g, 1 + ${pick('pc', size.categories)},
              initcap((${WORDS})[1 + ${pick('pw', 16)}] || ' ' || (${NOUNS})[1 + ${pick('pn', 16)}]) || ' No. ' || g,
              repeat('A well-made ' || (${WORDS})[1 + ${pick('pd1', 16)}] || ' ' || (${NOUNS})[1 + ${pick('pd2', 16)}]
                     || ' that lasts. ', 3 + ${pick('pr', 8)}),
              499 + ${pick('pp', 49_500)}, g % 997 = 1,
              timestamptz '2026-01-01' - make_interval(mins => ${pick('pt', 500_000)})
       FROM generate_series($1::int, $2::int) g`,
      [i * per + 1, Math.min(size.products, (i + 1) * per)],
    );
  }
  progress('products', chunks, chunks);
  await client.query(`INSERT INTO inventory SELECT id, ${pick('st', 200, 'id')} FROM products`);
  progress('users', 0, 1);
  const salt = 'shop-seed';
  await client.query(
    `INSERT INTO users
     SELECT g, 'user' || g || '@example.com', initcap((${WORDS})[1 + ${pick('uw', 16)}]) || ' Shopper ' || g,
            $2, false, timestamptz '2025-01-01' + make_interval(mins => g)
     FROM generate_series(1, $1) g`,
    [size.users, hashPassword('password', salt)],
  );
  await client.query(
    "INSERT INTO users VALUES ($1, 'admin@example.com', 'Admin', $2, true, timestamptz '2025-01-01')",
    [size.users + 1, hashPassword('admin', salt)],
  );
  progress('users', 1, 1);
  progress('orders', 0, 2);
  // Popular products sell more: the product of an item is skewed towards low ids.
  await client.query(
    `INSERT INTO orders
     SELECT g, 1 + ${pick('ou', size.users)}, timestamptz '2026-01-01' - make_interval(mins => ${pick('ot', 400_000)}), 'paid'
     FROM generate_series(1, $1) g`,
    [size.orders],
  );
  await client.query(
    `INSERT INTO order_items
     SELECT o, 1 + floor(power((${pick('oi', 1_000_000, "o || ':' || i")})::float8 / 1000000, 3) * $1)::int,
            1 + ${pick('oq', 3, "o || ':' || i")}, 0
     FROM generate_series(1, $2) o, generate_series(1, 1 + ${pick('on', 4, 'o')}) i
     ON CONFLICT DO NOTHING`,
    [size.products, size.orders],
  );
  await client.query(
    'UPDATE order_items oi SET price_cents = p.price_cents FROM products p WHERE p.id = oi.product_id',
  );
  progress('orders', 2, 2);
  progress('reviews', 0, 1);
  await client.query(
    `INSERT INTO reviews
     SELECT g, 1 + floor(power((${pick('rp', 1_000_000)})::float8 / 1000000, 2) * $1)::int, 1 + ${pick('ru', size.users)},
            1 + ${pick('rr', 5)}, 'Review ' || g || ': ' || (ARRAY['Great value.','Does the job.','Not what I expected.','Would buy again.','Lovely finish.'])[1 + ${pick('rb', 5)}],
            timestamptz '2026-01-01' - make_interval(mins => ${pick('rt', 400_000)})
     FROM generate_series(1, $2) g`,
    [size.products, size.reviews],
  );
  progress('reviews', 1, 1);
  progress('indexes', 0, 1);
  await client.query(INDEXES);
  await client.query(`ANALYZE ${TABLES.join(', ')}`);
  progress('indexes', 1, 1);
}
