/**
 * The product catalogue of the SQL query benchmark: one table in a schema of
 * the run's own on the shared Postgres, filled server-side with deterministic
 * rows, and dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The columns every benchmark query returns, in order. */
export const PRODUCT_COLUMNS = 'id, category_id, price, name, description, created_at';

/** What `createProductsTable` made. */
export interface ProductsTable {
  /** The schema holding `products`; put it on the connections' `search_path`. */
  readonly schema: string;
  readonly products: number;
  readonly categories: number;
  /** `pg_total_relation_size` of the table with its indexes, in bytes. */
  readonly totalBytes: number;
  /** The server's `server_version`. */
  readonly serverVersion: string;
  /** Drop the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * Create `products` (`products` rows over `categories` categories) in a new
 * schema `larder_bench_sql_query_<pid>_<hex>`, with its indexes, then ANALYZE.
 * Row n: category `(n * 7919) % categories + 1` (every category the same size,
 * ids of a category spread over the table), a price from 1.00 to 1000.00 that
 * does not follow the id, a name, a 100-character description, and a
 * `created_at` 15 minutes after row n - 1's.
 * @example const table = await createProductsTable(databaseUrl, { products: 100_000, categories: 100 });
 */
export async function createProductsTable(
  connectionString: string,
  options: { readonly products: number; readonly categories: number },
): Promise<ProductsTable> {
  const schema = `larder_bench_sql_query_${process.pid}_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`
      CREATE TABLE ${schema}.products (
        id bigint PRIMARY KEY,
        category_id integer NOT NULL,
        price numeric(10, 2) NOT NULL,
        name text NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await client.query(
      `INSERT INTO ${schema}.products
       SELECT n,
              (n * 7919) % $2 + 1,
              ((n * 104729) % 99901 + 100) / 100.0,
              'Product ' || n,
              left(repeat(md5(n::text) || ' ', 4), 100),
              timestamptz '2020-01-01 00:00:00+00' + n * interval '15 minutes'
       FROM generate_series(1, $1::bigint) AS n`,
      [options.products, options.categories],
    );
    // The category query's index: rows of a category come out already ordered by price.
    await client.query(`CREATE INDEX products_category_price ON ${schema}.products (category_id, price)`);
    await client.query(`ANALYZE ${schema}.products`);
    const size = await client.query<{ bytes: string }>(
      `SELECT pg_total_relation_size('${schema}.products') AS bytes`,
    );
    return {
      schema,
      products: options.products,
      categories: options.categories,
      totalBytes: Number(size.rows[0]?.bytes ?? Number.NaN),
      serverVersion: version.rows[0]?.server_version ?? '?',
      drop: async () => {
        const dropper = new pg.Client({ connectionString });
        await dropper.connect();
        try {
          await dropper.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await dropper.end();
        }
      },
    };
  } catch (error) {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
