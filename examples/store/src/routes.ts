/**
 * The shop's pages and API. Every read goes through `db.read` (cached or not,
 * by mode) and every change through `db.write`; cacheable pages get
 * `cachePage` with the table tags of what they show, and fragments get
 * loaders that run only when the fragment is rendered.
 */
import { scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import * as catalog from './catalog.js';
import type { ShopDatabase } from './database.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: string, length: number) => Promise<Buffer>;

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    /** Product id → quantity. */
    cart?: Record<string, number>;
  }
}

/** What the routes need from the shop. */
export interface RouteContext {
  readonly db: ShopDatabase;
  readonly mode: string;
  /** The fragment TTL in seconds: 0 when the fragment layer is off. */
  readonly fragmentSeconds: number;
  /** Per-route page caching: `cachePage(pages, …)`, or a no-op when the page layer is off. */
  readonly page: (tags: string[]) => RequestHandler[];
  /** The session middleware (after the page lookup, so pages vary on the cookie). */
  readonly session: RequestHandler;
}

type Handler = (request: Request, response: Response) => Promise<void>;
const run =
  (handler: Handler): RequestHandler =>
  (request, response, next: NextFunction) => {
    handler(request, response).catch(next);
  };

/** The shop's routes on `app`. */
export function shopRoutes(app: express.Express, context: RouteContext): void {
  const { db, session, page } = context;
  const tags = db.tableTags;
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  /** Render `view` with the layout's per-visitor fields; a visitor with a session is never stored. */
  async function render(request: Request, response: Response, view: string, locals: Record<string, unknown>) {
    const userId = request.session?.userId;
    const cart = request.session?.cart ?? {};
    if (userId !== undefined || Object.keys(cart).length > 0)
      response.setHeader('cache-control', 'private, no-store');
    const user = userId === undefined ? undefined : await catalog.user(db.read, userId);
    response.render(view, {
      mode: context.mode,
      ft: context.fragmentSeconds,
      user,
      cartCount: Object.values(cart).reduce((sum, n) => sum + n, 0),
      ...locals,
    });
  }

  const homeTags = tags('products', 'reviews', 'order_items', 'categories', 'users');
  app.get(
    '/',
    page(homeTags),
    session,
    run(async (request, response) => {
      await render(request, response, 'home.njk', {
        title: 'Home',
        tags: {
          featured: tags('products', 'reviews'),
          bestSellers: tags('products', 'order_items'),
          categories: tags('categories', 'products'),
          reviews: tags('reviews', 'products', 'users'),
        },
        loaders: {
          featured: () => catalog.featured(db.read),
          bestSellers: () => catalog.bestSellers(db.read),
          categoryCounts: () => catalog.categoryCounts(db.read),
          recentReviews: () => catalog.recentReviews(db.read),
        },
      });
    }),
  );

  app.get(
    '/c/:slug',
    page(tags('products', 'categories')),
    session,
    run(async (request, response) => {
      const category = await catalog.category(db.read, String(request.params.slug));
      if (category === undefined) return notFound(request, response);
      const sort = parseSort(request.query.sort);
      const pageNumber = parsePage(request.query.page);
      if (sort === undefined || pageNumber === undefined)
        return badRequest(response, 'page must be 1…10000 and sort one of name, price, newest');
      await render(request, response, 'category.njk', {
        title: category.name,
        category,
        sort,
        page: pageNumber,
        sorts: Object.keys(catalog.SORTS),
        tags: { listing: tags('products') },
        loaders: { listing: () => catalog.categoryPage(db.read, category.id, pageNumber, sort) },
      });
    }),
  );

  app.get(
    '/p/:id',
    page(tags('products', 'categories', 'inventory', 'reviews', 'users')),
    session,
    run(async (request, response) => {
      const id = parseId(request.params.id);
      const product = id === undefined ? undefined : await catalog.product(db.read, id);
      if (product === undefined) return notFound(request, response);
      await render(request, response, 'product.njk', {
        title: product.name,
        product,
        stock: await catalog.stock(db.read, product.id),
        tags: { reviews: tags('reviews', 'users'), related: tags('products') },
        loaders: {
          reviews: () => catalog.reviews(db.read, product.id),
          rating: () => catalog.rating(db.read, product.id),
          related: () => catalog.related(db.read, product.category_id, product.id),
        },
      });
    }),
  );

  app.get(
    '/api/products',
    page(tags('products', 'categories')),
    run(async (request, response) => {
      const slug = request.query.category;
      const category = typeof slug === 'string' ? await catalog.category(db.read, slug) : undefined;
      const sort = parseSort(request.query.sort);
      const pageNumber = parsePage(request.query.page);
      if (category === undefined) return void response.status(404).json({ error: 'unknown category' });
      if (sort === undefined || pageNumber === undefined) return badRequest(response, 'bad page or sort');
      const listing = await catalog.categoryPage(db.read, category.id, pageNumber, sort);
      response.json({ category: category.slug, page: pageNumber, sort, ...listing });
    }),
  );

  app.get(
    '/api/products/:id',
    page(tags('products', 'categories', 'inventory')),
    run(async (request, response) => {
      const id = parseId(request.params.id);
      const product = id === undefined ? undefined : await catalog.product(db.read, id);
      if (product === undefined) return void response.status(404).json({ error: 'unknown product' });
      response.json({ ...product, stock: await catalog.stock(db.read, product.id) });
    }),
  );

  app.get(
    '/login',
    session,
    run(async (request, response) => {
      await render(request, response, 'login.njk', { title: 'Log in', email: '' });
    }),
  );

  app.post(
    '/login',
    form,
    session,
    run(async (request, response) => {
      const email = String(request.body?.email ?? '').slice(0, 200);
      const password = String(request.body?.password ?? '').slice(0, 200);
      const { rows } = await db.raw.query<{ id: number; password_hash: string }>(
        'SELECT id, password_hash FROM users WHERE email = $1',
        [email],
      );
      const found = rows[0];
      if (found === undefined || !(await passwordMatches(password, found.password_hash))) {
        response.status(401);
        return render(request, response, 'login.njk', {
          title: 'Log in',
          email,
          error: 'Wrong email or password.',
        });
      }
      const cart = request.session.cart;
      // A new session id at login (fixation), keeping the cart of the anonymous visit.
      await new Promise<void>((resolve, reject) =>
        request.session.regenerate((error) => (error ? reject(error) : resolve())),
      );
      request.session.userId = found.id;
      if (cart !== undefined) request.session.cart = cart;
      response.redirect(303, '/profile');
    }),
  );

  app.post('/logout', session, (request, response, next) => {
    request.session.destroy((error) => (error ? next(error) : response.redirect(303, '/')));
  });

  app.get(
    '/profile',
    session,
    run(async (request, response) => {
      const userId = request.session.userId;
      if (userId === undefined) return void response.redirect(303, '/login');
      await render(request, response, 'profile.njk', {
        title: 'Your profile',
        orders: await catalog.orders(db.read, userId),
      });
    }),
  );

  app.get(
    '/cart',
    session,
    run(async (request, response) => {
      const cart = request.session.cart ?? {};
      const products = await catalog.productsByIds(db.read, Object.keys(cart).map(Number));
      const lines = products.map((product) => ({ product, quantity: cart[String(product.id)] ?? 0 }));
      const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.product.price_cents, 0);
      await render(request, response, 'cart.njk', { title: 'Your cart', lines, totalCents });
    }),
  );

  app.post(
    '/cart',
    form,
    session,
    run(async (request, response) => {
      const id = parseId(request.body?.productId);
      const quantity = Number(request.body?.quantity ?? 1);
      if (id === undefined || !Number.isInteger(quantity) || quantity < 1 || quantity > 99)
        return badRequest(response, 'productId and quantity 1…99 are required');
      if ((await catalog.product(db.read, id)) === undefined) return notFound(request, response);
      const cart = { ...(request.session.cart ?? {}) };
      cart[String(id)] = Math.min(99, (cart[String(id)] ?? 0) + quantity);
      request.session.cart = cart;
      response.redirect(303, '/cart');
    }),
  );

  const admin = run(async (request, response) => {
    const userId = request.session.userId;
    const user = userId === undefined ? undefined : await catalog.user(db.read, userId);
    if (!user?.is_admin) return void response.status(403).type('text').send('admins only\n');
    const id = parseId(request.params.id);
    const product = id === undefined ? undefined : await catalog.product(db.read, id);
    if (product === undefined) return notFound(request, response);
    if (request.method === 'GET')
      return render(request, response, 'admin-product.njk', {
        title: `Edit ${product.name}`,
        product,
        stock: await catalog.stock(db.read, product.id),
      });
    const priceCents = Math.round(Number(request.body?.price) * 100);
    const stock = Number(request.body?.stock);
    if (!Number.isSafeInteger(priceCents) || priceCents < 0 || !Number.isSafeInteger(stock) || stock < 0)
      return badRequest(response, 'price must be a non-negative amount and stock a non-negative integer');
    // One transaction through the write pool: its tables' tags are bumped after COMMIT.
    const client = await db.write.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE products SET price_cents = $1 WHERE id = $2', [priceCents, product.id]);
      await client.query('UPDATE inventory SET stock = $1 WHERE product_id = $2', [stock, product.id]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    response.redirect(303, `/p/${product.id}`);
  });
  app.get('/admin/products/:id', session, admin);
  app.post('/admin/products/:id', form, session, admin);
}

/** 404 for unknown pages, and errors as a plain page. */
export function shopFallbacks(app: express.Express, log: (line: string) => void): void {
  app.use((request, response) => notFound(request, response));
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    log(`shop: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (response.headersSent) return void response.end();
    response.status(500).type('text').send('Something went wrong.\n');
  });
}

function notFound(request: Request, response: Response): void {
  if (request.path.startsWith('/api/')) return void response.status(404).json({ error: 'not found' });
  response.status(404).type('text').send('Not found.\n');
}

function badRequest(response: Response, message: string): void {
  response.status(400).type('text').send(`${message}\n`);
}

function parseId(value: unknown): number | undefined {
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? id : undefined;
}

function parsePage(value: unknown): number | undefined {
  if (value === undefined) return 1;
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : undefined;
}

function parseSort(value: unknown): catalog.Sort | undefined {
  if (value === undefined) return 'name';
  return typeof value === 'string' && Object.hasOwn(catalog.SORTS, value)
    ? (value as catalog.Sort)
    : undefined;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hex] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hex === undefined) return false;
  const expected = Buffer.from(hex, 'hex');
  const actual = await scryptAsync(password, salt, expected.length);
  return timingSafeEqual(actual, expected);
}
