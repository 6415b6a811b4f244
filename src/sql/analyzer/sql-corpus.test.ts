/**
 * The parser corpus: SQL texts with what the analyzer must find in each — the
 * statement kinds, the exact sets of relations read and written (`schema.name`,
 * or `name` when unqualified), the bypass reason (`null`: cacheable) and the
 * flags the wrapper acts on. Every row asserts every field (absent = empty /
 * false / undefined), so a relation too many or a flag set by mistake fails.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { analyzeSql } from './analyze-sql.js';
import { loadSqlParser } from './load-sql-parser.js';
import type {
  BypassReason,
  RelationRef,
  SqlAnalysis,
  StatementKind,
  TransactionControl,
} from './sql-analysis.js';

interface Case {
  readonly sql: string;
  /** The kind of each statement (one kind for a single statement), `[]` for none. */
  readonly kind: StatementKind | readonly StatementKind[];
  readonly bypass: BypassReason | null;
  readonly reads?: readonly string[];
  readonly writes?: readonly string[];
  readonly functions?: readonly string[];
  readonly unknownFunctions?: readonly string[];
  readonly transaction?: TransactionControl;
  readonly changesSearchPath?: true;
  readonly createsTemp?: true;
  readonly unknownWrites?: true;
  readonly hint?: SqlAnalysis['hint'];
  readonly fingerprint?: string;
  readonly allowFunctions?: readonly string[];
}

// biome-ignore format: one row per line reads as a table
const SELECTS: readonly Case[] = [
  { sql: 'SELECT * FROM products WHERE id = $1', kind: 'select', bypass: null, reads: ['products'], fingerprint: 'SELECT * FROM products WHERE id = $1' },
  { sql: 'SELECT id, name FROM public.products WHERE category_id = 7 ORDER BY price LIMIT 20', kind: 'select', bypass: null, reads: ['public.products'], fingerprint: 'SELECT id, name FROM public.products WHERE category_id = $1 ORDER BY price LIMIT $2' },
  { sql: 'SELECT * FROM sales.orders', kind: 'select', bypass: null, reads: ['sales.orders'] },
  { sql: 'SELECT * FROM Public.Products', kind: 'select', bypass: null, reads: ['public.products'] },
  { sql: 'SELECT * FROM "MyTable"', kind: 'select', bypass: null, reads: ['MyTable'] },
  { sql: 'SELECT * FROM "my schema"."T" JOIN "Mixed".lower_t USING (id)', kind: 'select', bypass: null, reads: ['my schema.T', 'Mixed.lower_t'] },
  { sql: 'SELECT * FROM mydb.sales.orders', kind: 'select', bypass: null, reads: ['sales.orders'] },
  { sql: 'SELECT * FROM ONLY measurements', kind: 'select', bypass: null, reads: ['measurements'] },
  { sql: 'TABLE products', kind: 'select', bypass: null, reads: ['products'] },
  { sql: 'SELECT * FROM active_products_view WHERE price < $1', kind: 'select', bypass: null, reads: ['active_products_view'] },
  { sql: 'SELECT day, total FROM reporting.daily_sales_mv', kind: 'select', bypass: null, reads: ['reporting.daily_sales_mv'] },
  // joins
  { sql: 'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN addresses a ON a.customer_id = c.id', kind: 'select', bypass: null, reads: ['orders', 'customers', 'addresses'] },
  { sql: 'SELECT * FROM a NATURAL JOIN b CROSS JOIN c FULL OUTER JOIN d USING (id) RIGHT JOIN e ON true', kind: 'select', bypass: null, reads: ['a', 'b', 'c', 'd', 'e'] },
  { sql: 'SELECT * FROM a, s.b WHERE a.id = b.id', kind: 'select', bypass: null, reads: ['a', 's.b'] },
  { sql: 'SELECT * FROM orders o JOIN orders parent ON parent.id = o.parent_id', kind: 'select', bypass: null, reads: ['orders'] },
  // subqueries
  { sql: 'SELECT p.id, (SELECT count(*) FROM reviews r WHERE r.product_id = p.id) AS n FROM products p', kind: 'select', bypass: null, reads: ['products', 'reviews'], functions: ['count'] },
  { sql: 'SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE vip)', kind: 'select', bypass: null, reads: ['orders', 'customers'] },
  { sql: 'SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = o.id)', kind: 'select', bypass: null, reads: ['orders', 'refunds', 'disputes'] },
  { sql: 'SELECT * FROM products WHERE price > ALL (SELECT price FROM competitor_prices)', kind: 'select', bypass: null, reads: ['products', 'competitor_prices'] },
  { sql: 'SELECT category_id, count(*) FROM products GROUP BY category_id HAVING count(*) > (SELECT avg(n) FROM category_stats)', kind: 'select', bypass: null, reads: ['products', 'category_stats'], functions: ['count', 'avg'] },
  { sql: 'SELECT * FROM (SELECT * FROM orders WHERE total > 100) big JOIN customers c ON c.id = big.customer_id', kind: 'select', bypass: null, reads: ['orders', 'customers'] },
  { sql: 'SELECT * FROM (SELECT * FROM (SELECT id FROM deep.inner_t) a) b', kind: 'select', bypass: null, reads: ['deep.inner_t'] },
  { sql: 'SELECT CASE WHEN x > 0 THEN (SELECT max(v) FROM t1) ELSE (SELECT min(v) FROM t2) END FROM t3', kind: 'select', bypass: null, reads: ['t1', 't2', 't3'] },
  { sql: 'SELECT c.id, recent.* FROM customers c CROSS JOIN LATERAL (SELECT * FROM orders o WHERE o.customer_id = c.id ORDER BY created_at DESC LIMIT 3) recent', kind: 'select', bypass: null, reads: ['customers', 'orders'] },
  { sql: 'SELECT * FROM customers c LEFT JOIN LATERAL unnest(c.tags) AS tag ON true', kind: 'select', bypass: null, reads: ['customers'], functions: ['unnest'] },
  // CTEs
  { sql: 'WITH big AS (SELECT * FROM orders WHERE total > 100) SELECT * FROM big JOIN customers ON customers.id = big.customer_id', kind: 'select', bypass: null, reads: ['orders', 'customers'] },
  { sql: 'WITH a AS (SELECT * FROM t1), b AS (SELECT * FROM a JOIN t2 USING (id)) SELECT * FROM b', kind: 'select', bypass: null, reads: ['t1', 't2'] },
  { sql: 'WITH RECURSIVE tree AS (SELECT id, parent_id FROM categories WHERE id = $1 UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN tree ON c.parent_id = tree.id) SELECT * FROM tree', kind: 'select', bypass: null, reads: ['categories'] },
  { sql: 'WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a', kind: 'select', bypass: 'no-relation' },
  { sql: 'WITH products AS (SELECT * FROM archived_products) SELECT * FROM products', kind: 'select', bypass: null, reads: ['archived_products'] },
  { sql: 'WITH products AS (SELECT 1 AS id) SELECT * FROM public.products p JOIN products x USING (id)', kind: 'select', bypass: null, reads: ['public.products'] },
  { sql: 'WITH t AS (SELECT * FROM t WHERE x) SELECT * FROM t', kind: 'select', bypass: null, reads: ['t'] },
  { sql: 'WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a, b', kind: 'select', bypass: null, reads: ['b'] },
  { sql: 'SELECT * FROM (WITH x AS (SELECT * FROM t) SELECT * FROM x) s, x', kind: 'select', bypass: null, reads: ['t', 'x'] },
  { sql: 'WITH x AS (SELECT * FROM t) SELECT * FROM u WHERE id IN (SELECT id FROM x)', kind: 'select', bypass: null, reads: ['t', 'u'] },
  { sql: 'WITH x AS MATERIALIZED (SELECT * FROM t) SELECT * FROM x', kind: 'select', bypass: null, reads: ['t'] },
  // set operations
  { sql: 'SELECT id FROM a UNION SELECT id FROM b', kind: 'select', bypass: null, reads: ['a', 'b'] },
  { sql: 'SELECT id FROM a INTERSECT SELECT id FROM b EXCEPT ALL SELECT id FROM c', kind: 'select', bypass: null, reads: ['a', 'b', 'c'] },
  { sql: 'WITH x AS (SELECT * FROM t) SELECT * FROM x UNION ALL SELECT * FROM x', kind: 'select', bypass: null, reads: ['t'] },
  { sql: '(WITH x AS (SELECT 1 AS a) SELECT a FROM x) UNION SELECT a FROM x', kind: 'select', bypass: null, reads: ['x'] },
  { sql: 'VALUES (1), (2)', kind: 'select', bypass: 'no-relation', fingerprint: 'VALUES ($1), ($2)' },
  { sql: 'SELECT 1', kind: 'select', bypass: 'no-relation' },
  // functions
  { sql: 'SELECT lower(name), count(*), coalesce(sum(total), 0), greatest(a, b), nullif(c, 0) FROM orders GROUP BY lower(name)', kind: 'select', bypass: null, reads: ['orders'], functions: ['lower', 'count', 'sum'] },
  { sql: 'SELECT id, row_number() OVER (PARTITION BY category_id ORDER BY price), lag(price) OVER w FROM products WINDOW w AS (ORDER BY id)', kind: 'select', bypass: null, reads: ['products'], functions: ['row_number', 'lag'] },
  { sql: "SELECT date_trunc('day', created_at), extract(year from created_at), created_at AT TIME ZONE 'UTC' FROM orders", kind: 'select', bypass: null, reads: ['orders'], functions: ['date_trunc', 'pg_catalog.extract', 'pg_catalog.timezone'] },
  { sql: "SELECT jsonb_build_object('id', id, 'tags', jsonb_agg(tag)), string_agg(name, ', ') FROM items GROUP BY id", kind: 'select', bypass: null, reads: ['items'], functions: ['jsonb_build_object', 'jsonb_agg', 'string_agg'] },
  { sql: 'SELECT d, count(o.id) FROM generate_series(1, 7) d LEFT JOIN orders o ON o.dow = d GROUP BY d', kind: 'select', bypass: null, reads: ['orders'], functions: ['generate_series', 'count'] },
  { sql: 'SELECT * FROM generate_series(1, 10)', kind: 'select', bypass: 'no-relation', functions: ['generate_series'] },
  { sql: "SELECT * FROM orders WHERE created_at > '2020-01-01'::date AND label = 'nowhere'", kind: 'select', bypass: null, reads: ['orders'] },
  { sql: "SELECT * FROM orders WHERE created_at > 'now'::text::date", kind: 'select', bypass: 'volatile-function', reads: ['orders'] },
  { sql: "SELECT * FROM orders WHERE note LIKE '%_now%'", kind: 'select', bypass: 'volatile-function', reads: ['orders'] },
  { sql: "SELECT * FROM orders WHERE created_at > 'now'::timestamptz - interval '1 day'", kind: 'select', bypass: 'volatile-function', reads: ['orders'] },
  { sql: "SELECT * FROM orders WHERE created_at::date = 'today'", kind: 'select', bypass: 'volatile-function', reads: ['orders'] },
  { sql: "SELECT * FROM events WHERE starts_at < timestamp 'Tomorrow 12:00'", kind: 'select', bypass: 'volatile-function', reads: ['events'] },
  { sql: 'SELECT * FROM orders WHERE created_at > now() - interval \'1 hour\'', kind: 'select', bypass: 'volatile-function', reads: ['orders'], functions: ['now'] },
  { sql: 'SELECT * FROM orders WHERE created_at > pg_catalog.now()', kind: 'select', bypass: 'volatile-function', reads: ['orders'], functions: ['pg_catalog.now'] },
  { sql: 'SELECT * FROM orders WHERE created_at > current_timestamp', kind: 'select', bypass: 'volatile-function', reads: ['orders'], functions: ['current_timestamp'] },
  { sql: 'SELECT * FROM orders WHERE day = CURRENT_DATE', kind: 'select', bypass: 'volatile-function', reads: ['orders'], functions: ['current_date'] },
  { sql: 'SELECT * FROM products ORDER BY random() LIMIT 5', kind: 'select', bypass: 'volatile-function', reads: ['products'], functions: ['random'] },
  { sql: "SELECT nextval('order_seq'), clock_timestamp(), gen_random_uuid() FROM settings", kind: 'select', bypass: 'volatile-function', reads: ['settings'], functions: ['nextval', 'clock_timestamp', 'gen_random_uuid'] },
  { sql: 'SELECT pg_try_advisory_lock(42)', kind: 'select', bypass: 'volatile-function', functions: ['pg_try_advisory_lock'] },
  { sql: "SELECT * FROM docs WHERE tenant = current_setting('app.tenant')", kind: 'select', bypass: 'volatile-function', reads: ['docs'], functions: ['current_setting'] },
  { sql: 'SELECT * FROM docs WHERE owner = current_user', kind: 'select', bypass: 'volatile-function', reads: ['docs'], functions: ['current_user'] },
  { sql: "SELECT * FROM docs WHERE has_table_privilege('docs', 'select')", kind: 'select', bypass: 'volatile-function', reads: ['docs'], functions: ['has_table_privilege'] },
  { sql: 'SELECT age(born) FROM people', kind: 'select', bypass: 'volatile-function', reads: ['people'], functions: ['age'] },
  { sql: 'SELECT age(died, born), current_schema FROM people', kind: 'select', bypass: null, reads: ['people'], functions: ['age', 'current_schema'] },
  { sql: 'SELECT * FROM big_table TABLESAMPLE SYSTEM (10)', kind: 'select', bypass: 'volatile-function', reads: ['big_table'] },
  { sql: 'SELECT slugify(name) FROM products', kind: 'select', bypass: 'unknown-function', reads: ['products'], functions: ['slugify'], unknownFunctions: ['slugify'] },
  { sql: 'SELECT slugify(name) FROM products', allowFunctions: ['slugify'], kind: 'select', bypass: null, reads: ['products'], functions: ['slugify'] },
  { sql: 'SELECT app.slugify(name) FROM products', allowFunctions: ['slugify'], kind: 'select', bypass: null, reads: ['products'], functions: ['app.slugify'] },
  { sql: 'SELECT app.price_with_tax(price), "MyFn"(id) FROM products', kind: 'select', bypass: 'unknown-function', reads: ['products'], functions: ['app.price_with_tax', 'MyFn'], unknownFunctions: ['app.price_with_tax', 'MyFn'] },
  { sql: 'SELECT public.lower(name) FROM products', kind: 'select', bypass: 'unknown-function', reads: ['products'], functions: ['public.lower'], unknownFunctions: ['public.lower'] },
  { sql: 'SELECT slugify(name), now() FROM products', kind: 'select', bypass: 'volatile-function', reads: ['products'], functions: ['slugify', 'now'], unknownFunctions: ['slugify'] },
  { sql: 'SELECT my_stats()', kind: 'select', bypass: 'no-relation', functions: ['my_stats'], unknownFunctions: ['my_stats'] },
  // locking, catalogs, temp tables, SELECT INTO
  { sql: 'SELECT * FROM jobs WHERE state = $1 FOR UPDATE SKIP LOCKED LIMIT 1', kind: 'select', bypass: 'locking-clause', reads: ['jobs'] },
  { sql: 'SELECT * FROM accounts a JOIN owners o ON o.id = a.owner_id FOR NO KEY UPDATE OF a NOWAIT', kind: 'select', bypass: 'locking-clause', reads: ['accounts', 'owners'] },
  { sql: 'SELECT * FROM accounts FOR SHARE', kind: 'select', bypass: 'locking-clause', reads: ['accounts'] },
  { sql: 'SELECT * FROM orders WHERE id IN (SELECT order_id FROM items FOR KEY SHARE)', kind: 'select', bypass: 'locking-clause', reads: ['orders', 'items'] },
  { sql: 'SELECT relname FROM pg_catalog.pg_class', kind: 'select', bypass: 'system-catalog', reads: ['pg_catalog.pg_class'] },
  { sql: 'SELECT * FROM pg_stat_activity', kind: 'select', bypass: 'system-catalog', reads: ['pg_stat_activity'] },
  { sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", kind: 'select', bypass: 'system-catalog', reads: ['information_schema.tables'] },
  { sql: 'SELECT p.*, c.relname FROM products p JOIN pg_class c ON c.oid = p.rel', kind: 'select', bypass: 'system-catalog', reads: ['products', 'pg_class'] },
  { sql: 'SELECT * FROM pg_temp.scratch', kind: 'select', bypass: 'temp-table', reads: ['pg_temp.scratch'] },
  { sql: 'SELECT * INTO archive_2020 FROM orders WHERE year = 2020', kind: 'ddl', bypass: 'select-into', reads: ['orders'], writes: ['archive_2020'] },
  { sql: 'SELECT * INTO TEMP scratch FROM orders', kind: 'ddl', bypass: 'select-into', reads: ['orders'], writes: ['scratch'], createsTemp: true },
];

// biome-ignore format: one row per line reads as a table
const WRITES: readonly Case[] = [
  { sql: 'INSERT INTO orders (customer_id, total) VALUES ($1, $2)', kind: 'insert', bypass: 'write', writes: ['orders'] },
  { sql: "INSERT INTO audit.log VALUES (1, 'secret')", kind: 'insert', bypass: 'write', writes: ['audit.log'], fingerprint: 'INSERT INTO audit.log VALUES ($1, $2)' },
  { sql: 'INSERT INTO order_items (order_id, sku) SELECT $1, sku FROM cart_items WHERE cart_id = $2', kind: 'insert', bypass: 'write', reads: ['cart_items'], writes: ['order_items'] },
  { sql: 'INSERT INTO inventory (sku, qty) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET qty = inventory.qty + excluded.qty RETURNING qty', kind: 'insert', bypass: 'write', writes: ['inventory'] },
  { sql: 'INSERT INTO tags (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING (SELECT count(*) FROM tag_stats)', kind: 'insert', bypass: 'write', reads: ['tag_stats'], writes: ['tags'], functions: ['count'] },
  { sql: 'UPDATE products p SET price = c.new_price FROM price_changes c WHERE c.product_id = p.id', kind: 'update', bypass: 'write', reads: ['price_changes'], writes: ['products'] },
  { sql: 'UPDATE products SET rating = (SELECT avg(stars) FROM reviews WHERE product_id = products.id) RETURNING id', kind: 'update', bypass: 'write', reads: ['reviews'], writes: ['products'], functions: ['avg'] },
  { sql: 'UPDATE "Accounts" SET balance = balance - $1 WHERE id = $2', kind: 'update', bypass: 'write', writes: ['Accounts'] },
  { sql: 'DELETE FROM orders o USING customers c WHERE c.id = o.customer_id AND c.banned', kind: 'delete', bypass: 'write', reads: ['customers'], writes: ['orders'] },
  { sql: 'DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE deleted) RETURNING *', kind: 'delete', bypass: 'write', reads: ['users'], writes: ['sessions'] },
  { sql: 'MERGE INTO inventory i USING staging s ON i.sku = s.sku WHEN MATCHED THEN UPDATE SET qty = s.qty WHEN NOT MATCHED THEN INSERT VALUES (s.sku, s.qty)', kind: 'merge', bypass: 'write', reads: ['staging'], writes: ['inventory'] },
  { sql: 'WITH src AS (SELECT * FROM feed) MERGE INTO catalog.items t USING src ON t.id = src.id WHEN MATCHED THEN DELETE RETURNING merge_action()', kind: 'merge', bypass: 'write', reads: ['feed'], writes: ['catalog.items'], functions: [] },
  { sql: 'WITH moved AS (DELETE FROM queue WHERE id = $1 RETURNING *) INSERT INTO done SELECT * FROM moved', kind: 'insert', bypass: 'write', writes: ['queue', 'done'] },
  { sql: 'WITH u AS (UPDATE stock SET qty = qty - 1 WHERE sku = $1 RETURNING *) SELECT * FROM u JOIN skus USING (sku)', kind: 'update', bypass: 'write', reads: ['skus'], writes: ['stock'] },
  { sql: 'WITH ins AS (INSERT INTO log (msg) VALUES ($1) RETURNING id) SELECT id FROM ins', kind: 'insert', bypass: 'write', writes: ['log'] },
  { sql: 'WITH orders AS (SELECT 1 AS id) INSERT INTO orders SELECT id FROM orders', kind: 'insert', bypass: 'write', writes: ['orders'] },
  { sql: 'TRUNCATE a, s.b', kind: 'truncate', bypass: 'write', writes: ['a', 's.b'] },
  { sql: 'TRUNCATE TABLE parents RESTART IDENTITY CASCADE', kind: 'truncate', bypass: 'write', writes: ['parents'], unknownWrites: true },
  { sql: 'COPY products (id, name) FROM STDIN WITH (FORMAT csv)', kind: 'copy-from', bypass: 'write', writes: ['products'] },
  { sql: "COPY staging.rows FROM '/secret/file.csv'", kind: 'copy-from', bypass: 'write', writes: ['staging.rows'], fingerprint: 'COPY staging.rows FROM $1' },
  { sql: 'COPY products TO STDOUT', kind: 'copy-to', bypass: 'utility', reads: ['products'] },
  { sql: 'COPY (SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id) TO STDOUT', kind: 'copy-to', bypass: 'utility', reads: ['orders', 'customers'] },
  { sql: 'COPY (UPDATE jobs SET taken = true RETURNING *) TO STDOUT', kind: 'copy-to', bypass: 'write', writes: ['jobs'] },
];

// biome-ignore format: one row per line reads as a table
const DDL: readonly Case[] = [
  { sql: 'CREATE TABLE products (id int PRIMARY KEY, name text)', kind: 'ddl', bypass: 'ddl', writes: ['products'] },
  { sql: "CREATE TABLE notes (body text DEFAULT 'secret')", kind: 'ddl', bypass: 'ddl', writes: ['notes'], fingerprint: 'CREATE TABLE notes (body text DEFAULT $1)' },
  { sql: 'CREATE TEMP TABLE scratch (id int)', kind: 'ddl', bypass: 'ddl', writes: ['scratch'], createsTemp: true },
  { sql: 'CREATE TABLE pg_temp.scratch2 (id int)', kind: 'ddl', bypass: 'ddl', writes: ['pg_temp.scratch2'], createsTemp: true },
  { sql: 'CREATE TABLE order_lines (LIKE template_lines, order_id int REFERENCES orders (id) ON DELETE CASCADE)', kind: 'ddl', bypass: 'ddl', reads: ['template_lines', 'orders'], writes: ['order_lines'] },
  { sql: 'CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM (1) TO (100)', kind: 'ddl', bypass: 'ddl', writes: ['measurements_2024', 'measurements'] },
  { sql: 'CREATE TABLE top_customers AS SELECT * FROM customers WHERE vip', kind: 'ddl', bypass: 'ddl', reads: ['customers'], writes: ['top_customers'] },
  { sql: 'CREATE MATERIALIZED VIEW reporting.daily AS SELECT day, sum(total) FROM orders GROUP BY day', kind: 'ddl', bypass: 'ddl', reads: ['orders'], writes: ['reporting.daily'], functions: ['sum'] },
  { sql: 'CREATE OR REPLACE VIEW active_products AS SELECT * FROM products WHERE active', kind: 'ddl', bypass: 'ddl', reads: ['products'], writes: ['active_products'] },
  { sql: 'CREATE TEMP VIEW v AS SELECT * FROM t', kind: 'ddl', bypass: 'ddl', reads: ['t'], writes: ['v'], createsTemp: true },
  { sql: 'ALTER TABLE products ADD COLUMN sku text NOT NULL DEFAULT now()', kind: 'ddl', bypass: 'ddl', writes: ['products'], functions: ['now'] },
  { sql: 'ALTER TABLE measurements ATTACH PARTITION m2025 FOR VALUES FROM (100) TO (200)', kind: 'ddl', bypass: 'ddl', writes: ['measurements', 'm2025'] },
  { sql: 'ALTER TABLE items ADD CONSTRAINT fk FOREIGN KEY (order_id) REFERENCES orders (id)', kind: 'ddl', bypass: 'ddl', reads: ['orders'], writes: ['items'] },
  { sql: 'ALTER TABLE s.old_name RENAME TO new_name', kind: 'ddl', bypass: 'ddl', writes: ['s.old_name', 's.new_name'] },
  { sql: 'ALTER TABLE products RENAME COLUMN title TO name', kind: 'ddl', bypass: 'ddl', writes: ['products'] },
  { sql: 'ALTER TABLE s.t SET SCHEMA archive', kind: 'ddl', bypass: 'ddl', writes: ['s.t', 'archive.t'] },
  { sql: 'DROP TABLE a.b, c CASCADE', kind: 'ddl', bypass: 'ddl', writes: ['a.b', 'c'] },
  { sql: 'DROP VIEW IF EXISTS active_products', kind: 'ddl', bypass: 'ddl', writes: ['active_products'] },
  { sql: 'DROP SCHEMA tenant_42 CASCADE', kind: 'ddl', bypass: 'ddl', unknownWrites: true },
  { sql: 'DROP FUNCTION slugify(text)', kind: 'ddl', bypass: 'ddl' },
  { sql: 'DROP TYPE mood CASCADE', kind: 'ddl', bypass: 'ddl', unknownWrites: true },
  { sql: 'CREATE INDEX CONCURRENTLY products_price ON products (price)', kind: 'ddl', bypass: 'ddl', writes: ['products'] },
  { sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.daily', kind: 'ddl', bypass: 'ddl', writes: ['reporting.daily'] },
  { sql: "COMMENT ON COLUMN s.t.c IS 'secret'", kind: 'ddl', bypass: 'ddl', writes: ['s.t'], fingerprint: 'COMMENT ON COLUMN s.t.c IS $1' },
  { sql: "COMMENT ON TABLE products IS E'it\\'s'", kind: 'ddl', bypass: 'ddl', writes: ['products'], fingerprint: 'COMMENT ON TABLE products IS $1' },
  { sql: 'GRANT SELECT ON products, s.u TO reader', kind: 'ddl', bypass: 'ddl', writes: ['products', 's.u'] },
  { sql: 'GRANT SELECT ON ALL TABLES IN SCHEMA app TO reader', kind: 'ddl', bypass: 'ddl', unknownWrites: true },
  { sql: 'CREATE POLICY own ON docs USING (owner = current_user)', kind: 'ddl', bypass: 'ddl', writes: ['docs'], functions: ['current_user'] },
  { sql: "CREATE FUNCTION add(a int, b int) RETURNS int AS 'select a + b' LANGUAGE sql IMMUTABLE", kind: 'ddl', bypass: 'ddl', fingerprint: 'CREATE FUNCTION add(a int, b int) RETURNS int AS $1 LANGUAGE sql IMMUTABLE' },
  { sql: 'ALTER SCHEMA app RENAME TO app_old', kind: 'ddl', bypass: 'ddl', unknownWrites: true },
  { sql: 'CREATE SCHEMA IF NOT EXISTS app', kind: 'ddl', bypass: 'ddl' },
  { sql: 'CREATE TABLE snapshot AS EXECUTE q(1)', kind: 'ddl', bypass: 'ddl', writes: ['snapshot'], unknownWrites: true },
  { sql: 'CREATE RULE r AS ON INSERT TO t DO ALSO INSERT INTO t_log VALUES (new.id)', kind: 'ddl', bypass: 'ddl', writes: ['t', 't_log'] },
];

// biome-ignore format: one row per line reads as a table
const SESSION: readonly Case[] = [
  { sql: 'BEGIN', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'begin' } },
  { sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'begin' } },
  { sql: 'START TRANSACTION', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'begin' } },
  { sql: 'COMMIT', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'commit' } },
  { sql: 'END', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'commit' } },
  { sql: 'COMMIT AND CHAIN', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'commit', chain: true } },
  { sql: 'ROLLBACK', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'rollback' } },
  { sql: 'ABORT', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'rollback' } },
  { sql: 'SAVEPOINT sp1', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'savepoint', name: 'sp1' } },
  { sql: 'SAVEPOINT "Sp1"', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'savepoint', name: 'Sp1' } },
  { sql: 'RELEASE SAVEPOINT SP1', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'release', name: 'sp1' } },
  { sql: 'RELEASE sp1', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'release', name: 'sp1' } },
  { sql: 'ROLLBACK TO SAVEPOINT sp1', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'rollback-to', name: 'sp1' } },
  { sql: 'ROLLBACK TO sp2', kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'rollback-to', name: 'sp2' } },
  { sql: "PREPARE TRANSACTION 'gid-1'", kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'two-phase' }, fingerprint: 'PREPARE TRANSACTION $1' },
  { sql: "COMMIT PREPARED 'gid-1'", kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'two-phase' } },
  { sql: "ROLLBACK PREPARED 'gid-1'", kind: 'transaction', bypass: 'transaction-control', transaction: { kind: 'two-phase' } },
  { sql: 'SET search_path TO app, public', kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: 'SET LOCAL search_path = tenant_7', kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: "SET SCHEMA 'app'", kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: 'RESET search_path', kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: 'RESET ALL', kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: 'SET ROLE reporting', kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: 'DISCARD ALL', kind: 'set', bypass: 'set', changesSearchPath: true },
  { sql: 'SET statement_timeout = 0', kind: 'set', bypass: 'set' },
  { sql: "SET TIME ZONE 'UTC'", kind: 'set', bypass: 'set' },
  { sql: 'SHOW search_path', kind: 'set', bypass: 'set' },
  { sql: "SELECT set_config('search_path', 'app', false)", kind: 'select', bypass: 'volatile-function', functions: ['set_config'], changesSearchPath: true },
  { sql: "SELECT pg_catalog.set_config('app.tenant', $1, true)", kind: 'select', bypass: 'volatile-function', functions: ['pg_catalog.set_config'] },
  { sql: 'LISTEN orders_changed', kind: 'listen-notify', bypass: 'listen-notify' },
  { sql: 'UNLISTEN *', kind: 'listen-notify', bypass: 'listen-notify' },
  { sql: "NOTIFY orders_changed, 'secret payload'", kind: 'listen-notify', bypass: 'listen-notify', fingerprint: 'NOTIFY orders_changed, $1' },
  { sql: "SELECT pg_notify('orders_changed', id::text) FROM orders", kind: 'select', bypass: 'volatile-function', reads: ['orders'], functions: ['pg_notify'] },
];

// biome-ignore format: one row per line reads as a table
const UTILITY: readonly Case[] = [
  { sql: 'EXPLAIN SELECT * FROM products WHERE id = 1', kind: 'other', bypass: 'utility', reads: ['products'] },
  { sql: 'EXPLAIN ANALYZE DELETE FROM sessions WHERE expired', kind: 'other', bypass: 'write', writes: ['sessions'] },
  { sql: 'EXPLAIN (ANALYZE false) DELETE FROM sessions', kind: 'other', bypass: 'utility' },
  { sql: 'EXPLAIN (ANALYZE, BUFFERS) UPDATE stock SET qty = 0 FROM skus WHERE skus.id = stock.sku', kind: 'other', bypass: 'write', reads: ['skus'], writes: ['stock'] },
  { sql: 'EXPLAIN ANALYZE SELECT * FROM products', kind: 'other', bypass: 'utility', reads: ['products'] },
  { sql: 'PREPARE q (int) AS UPDATE products SET price = 0 WHERE id = $1', kind: 'other', bypass: 'utility' },
  { sql: 'EXECUTE q(1)', kind: 'other', bypass: 'utility', unknownWrites: true },
  { sql: 'DEALLOCATE q', kind: 'other', bypass: 'utility' },
  { sql: 'DECLARE c CURSOR FOR SELECT * FROM big_table', kind: 'other', bypass: 'utility', reads: ['big_table'] },
  { sql: 'FETCH 100 FROM c', kind: 'other', bypass: 'utility' },
  { sql: "DO $$ BEGIN INSERT INTO t VALUES ('secret'); END $$", kind: 'other', bypass: 'utility', unknownWrites: true, fingerprint: 'DO $1' },
  { sql: 'CALL refresh_stats(1)', kind: 'other', bypass: 'utility', functions: ['refresh_stats'], unknownFunctions: ['refresh_stats'], unknownWrites: true },
  { sql: 'VACUUM ANALYZE products', kind: 'other', bypass: 'utility' },
  { sql: 'ANALYZE products', kind: 'other', bypass: 'utility' },
  { sql: 'LOCK TABLE products IN ACCESS EXCLUSIVE MODE', kind: 'other', bypass: 'locking-clause' },
  { sql: 'CHECKPOINT', kind: 'other', bypass: 'utility' },
  // parse errors, empty and multi-statement texts
  { sql: 'SELEC 1', kind: [], bypass: 'parse-error', fingerprint: '<parse error>' },
  { sql: 'SELECT * FROM', kind: [], bypass: 'parse-error' },
  { sql: "SELECT 'unterminated", kind: [], bypass: 'parse-error' },
  { sql: '', kind: [], bypass: 'utility', fingerprint: '' },
  { sql: ' ; ', kind: [], bypass: 'utility' },
  { sql: 'SELECT * FROM a; SELECT * FROM b', kind: ['select', 'select'], bypass: 'multiple-statements', reads: ['a', 'b'] },
  { sql: 'BEGIN; UPDATE t SET x = 1; COMMIT', kind: ['transaction', 'update', 'transaction'], bypass: 'multiple-statements', writes: ['t'] },
  { sql: 'SELECT * FROM products;', kind: 'select', bypass: null, reads: ['products'] },
  // hints and comments
  { sql: '/* larder:skip */ SELECT * FROM products', kind: 'select', bypass: 'hint-skip', reads: ['products'], hint: { skip: true }, fingerprint: 'SELECT * FROM products' },
  { sql: 'SELECT * FROM products -- larder:ttl=30s', kind: 'select', bypass: null, reads: ['products'], hint: { ttl: '30s' } },
  { sql: 'SELECT now() FROM products /* larder:cache larder:ttl=5m */', kind: 'select', bypass: 'volatile-function', reads: ['products'], functions: ['now'], hint: { force: true, ttl: '5m' } },
  { sql: '/* larder:skip */ UPDATE t SET x = 1', kind: 'update', bypass: 'write', writes: ['t'], hint: { skip: true } },
  { sql: "SELECT '/* larder:skip */' FROM products", kind: 'select', bypass: null, reads: ['products'], fingerprint: 'SELECT $1 FROM products' },
  { sql: 'SELECT * FROM "larder:skip"', kind: 'select', bypass: null, reads: ['larder:skip'] },
  { sql: "SELECT * FROM orders /*traceparent='00-4bf92f-00f067-01'*/", kind: 'select', bypass: null, reads: ['orders'], fingerprint: 'SELECT * FROM orders' },
  { sql: 'SELECT *\n  FROM orders -- the orders\n  WHERE id = 42', kind: 'select', bypass: null, reads: ['orders'], fingerprint: 'SELECT * FROM orders WHERE id = $1' },
];

const CORPUS: readonly Case[] = [...SELECTS, ...WRITES, ...DDL, ...SESSION, ...UTILITY];

function label(ref: RelationRef): string {
  return ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`;
}

const sorted = (values: Iterable<string>) => [...values].sort();

function check(row: Case): void {
  const analysis = analyzeSql(
    row.sql,
    row.allowFunctions === undefined ? undefined : { allowFunctions: row.allowFunctions },
  );
  const { statements } = analysis;
  assert.deepEqual(
    statements.map((statement) => statement.kind),
    typeof row.kind === 'string' ? [row.kind] : row.kind,
    'kinds',
  );
  assert.equal(analysis.bypass, row.bypass ?? undefined, 'bypass');
  assert.deepEqual(sorted(analysis.reads.map(label)), sorted(row.reads ?? []), 'reads');
  assert.deepEqual(sorted(analysis.writes.map(label)), sorted(row.writes ?? []), 'writes');
  const all = (field: 'functions' | 'unknownFunctions') =>
    sorted(new Set(statements.flatMap((s) => s[field])));
  if (row.functions !== undefined) assert.deepEqual(all('functions'), sorted(row.functions), 'functions');
  assert.deepEqual(all('unknownFunctions'), sorted(row.unknownFunctions ?? []), 'unknownFunctions');
  const flag = (field: 'changesSearchPath' | 'createsTemp' | 'unknownWrites') =>
    statements.some((statement) => statement[field]);
  assert.equal(flag('changesSearchPath'), row.changesSearchPath ?? false, 'changesSearchPath');
  assert.equal(flag('createsTemp'), row.createsTemp ?? false, 'createsTemp');
  assert.equal(flag('unknownWrites'), row.unknownWrites ?? false, 'unknownWrites');
  if (statements.length === 1) assert.deepEqual(statements[0]?.transaction, row.transaction, 'transaction');
  assert.deepEqual(analysis.hint, row.hint, 'hint');
  if (row.fingerprint !== undefined) assert.equal(analysis.fingerprint, row.fingerprint, 'fingerprint');
  // Whatever the text, the label carries no literal of it.
  for (const secret of ['secret', '00-4bf92f', 'gid-1']) assert.ok(!analysis.fingerprint.includes(secret));
}

describe('SQL corpus', () => {
  before(() => loadSqlParser());

  it('has at least 90 distinct statements', () => {
    assert.ok(new Set(CORPUS.map((row) => row.sql)).size >= 90, `${CORPUS.length} rows`);
  });

  for (const [group, rows] of Object.entries({ SELECTS, WRITES, DDL, SESSION, UTILITY })) {
    describe(group, () => {
      for (const row of rows) {
        it(`${row.sql.replace(/\s+/g, ' ').slice(0, 100)}${row.allowFunctions ? ' (allow-listed)' : ''}`, () =>
          check(row));
      }
    });
  }
});
