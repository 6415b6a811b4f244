/**
 * The reference shop in a real browser: headless chromium (playwright-core) on
 * a shop in mode `full` with the debug panel on, seeded at a small scale into a
 * database of its own, its cache under a prefix of its own on the test Redis.
 * A visitor sees the home page and the panel's numbers, logs in, fills a cart
 * and logs out; the admin changes a price, and the next load of the product
 * page shows it — to the admin, and to an anonymous visitor whose copy of the
 * page had been cached with the old price.
 *
 * Needs chromium (`apt-get install -y chromium`); `LARDER_SKIP_BROWSER_TESTS=1`
 * skips it. Leaves the home page's screenshot in test-artifacts/shop-home.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { databaseUrl, redisUrl, uniquePrefix } from '../../../src/test-support/env.js';
import { seedShop } from '../src/seed.js';
import { startShop } from '../src/shop.js';
import { browserTestsSkipReason, launchChromium } from './launch-chromium.js';
import { removeKeys } from './remove-keys.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.js';

type Shop = Awaited<ReturnType<typeof startShop>>;

const ARTIFACTS_DIR = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
/** Big enough for 2,000 products, 200 users and user1 (the seed's users are user1…user<N>). */
const SEED_SCALE = 0.02;
/** Generous: the machine may be busy with other tests, and chromium's first paint is slow there. */
const ACTION_TIMEOUT_MS = 30_000;
const NAVIGATION_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 120_000;
/** How long the product page may take to be stored in the page cache after its first load. */
const PAGE_CACHE_WAIT_MS = 10_000;

const USER = { email: 'user1@example.com', password: 'password' };
const ADMIN = { email: 'admin@example.com', password: 'admin' };

// A skipped test rather than a skipped suite: scripts/test.mjs counts skipped tests, not suites.
const skip = browserTestsSkipReason();
if (skip !== undefined) it('the shop in a browser', { skip }, () => {});
else describe('the shop in a browser (mode full, debug panel on)', shopInABrowser);

function shopInABrowser(): void {
  const prefix = uniquePrefix('shop-browser');
  let browser: Browser | undefined;
  let db: ScratchDatabase | undefined;
  let shop: Shop | undefined;
  /** The logged-in visitor's (user1's, then the admin's) browser context and page. */
  let page: Page;
  /** The product whose price the admin changes: the first price on the home page. */
  let productId: string;
  /** Its price as the shop should show it now. */
  let shownCents: number;

  before(
    async () => {
      // The browser first, so a missing chromium fails at once, before the seed's work.
      browser = await launchChromium();
      db = await createScratchDatabase(databaseUrl(), 'shop_browser');
      await seedShop(db.url, { scale: SEED_SCALE });
      shop = await startShop({
        databaseUrl: db.url,
        redisUrl: redisUrl(),
        mode: 'full',
        panel: true,
        port: 0,
        prefix,
        stats: true,
        // Where the server has wal_level=logical: a slot of this run's own (slots are per
        // server, and 'larder_shop' may be another run's), removed at close.
        cdc: { slot: db.name, dropSlotOnClose: true },
      });
      page = await (await newContext()).newPage();
    },
    { timeout: SETUP_TIMEOUT_MS },
  );

  after(
    async () => {
      // Every step runs even when one before it failed; their errors are reported together.
      const errors: unknown[] = [];
      const attempt = async (step: () => Promise<unknown> | undefined) => {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      };
      await attempt(() => browser?.close());
      await attempt(() => shop?.close());
      await attempt(async () => {
        const ended = (await db?.drop()) ?? [];
        // Not this test's failure, but a shop whose close() leaves connections behind is worth a line.
        if (ended.length > 0)
          console.warn(
            `the shop left ${ended.length} connection(s) open after close():\n  ${ended.join('\n  ')}`,
          );
      });
      await attempt(() => removeKeys(prefix));
      if (errors.length > 0) throw new AggregateError(errors, 'cleaning up after the browser test failed');
    },
    { timeout: SETUP_TIMEOUT_MS },
  );

  /** A fresh browser context (its own cookies: a new visitor) on the shop. */
  async function newContext(): Promise<BrowserContext> {
    assert.ok(browser && shop, 'the browser and the shop are running');
    const context = await browser.newContext({ baseURL: shop.url, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    return context;
  }

  it('shows the home page with the debug panel and its numbers', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.goto('/');
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'shop-home.png'), fullPage: true });

    const panel = page.locator('aside#larder-panel');
    assert.ok(await panel.isVisible(), 'the debug panel (aside#larder-panel) is visible');
    for (const name of [
      'data-db-queries',
      'data-fragment-hits',
      'data-fragment-misses',
      'data-query-hits',
      'data-query-misses',
    ]) {
      assert.match((await panel.getAttribute(name)) ?? '', /^\d+$/, `${name} is a count`);
    }
    assert.match((await panel.getAttribute('data-ms')) ?? '', /^\d+(\.\d+)?$/, 'data-ms is a duration');
    assert.match((await panel.getAttribute('data-page')) ?? '', /^(hit|miss|off)$/, 'data-page');
    assert.match((await panel.textContent()) ?? '', /\d/, 'the panel shows numbers');

    const firstPrice = page.locator('span.price[data-product-id]').first();
    productId = (await firstPrice.getAttribute('data-product-id')) ?? '';
    assert.match(productId, /^\d+$/, 'the home page shows a product price');
    shownCents = parseCents((await firstPrice.textContent()) ?? '');
  });

  /** The product page as a new anonymous visitor sees it: its price, and where it came from. */
  async function anonymousProductPage(): Promise<{ cents: number; served: string | null }> {
    const context = await newContext();
    try {
      const anonymous = await context.newPage();
      await anonymous.goto(`/p/${productId}`);
      const served = await anonymous.locator('aside#larder-panel').getAttribute('data-page');
      return { cents: await priceCents(anonymous, productId), served };
    } finally {
      await context.close();
    }
  }

  /**
   * Loads the product page as new anonymous visitors until one is served from the page
   * cache: without a cached copy of the old page, the last test could not tell a stale page
   * from a fresh one. The page is stored after its response, so a load may still miss it.
   */
  async function cacheAnonymousProductPage(): Promise<void> {
    const deadline = Date.now() + PAGE_CACHE_WAIT_MS;
    for (;;) {
      const { cents, served } = await anonymousProductPage();
      assert.equal(cents, shownCents, "an anonymous visitor's price");
      if (served === 'hit') return;
      assert.ok(Date.now() < deadline, `the product page came from the page cache (last: ${served})`);
    }
  }

  it('serves the product page to anonymous visitors from the page cache', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await cacheAnonymousProductPage();
  });

  it('logs user1 in and adds the product to the cart', { timeout: STEP_TIMEOUT_MS }, async () => {
    await logIn(page, USER);
    await page.goto(`/p/${productId}`);
    const before = await cartCount(page);
    const form = page.locator('form.add-to-cart').first();
    const hops = await submitAndLoad(page, () =>
      form.locator('button, input[type="submit"]').first().click(),
    );
    // The page the form leads to (after its redirect) is the first place a shopper looks. A
    // redirect sent before the session is saved shows the old count there: express-session
    // writes a response's headers before its store has saved (expressjs/session#360), so the
    // browser may follow the 303 first, unless the route saves the session before redirecting.
    const after = await cartCount(page);
    assert.ok(after > before, `#cart-count went up from ${before} on the page adding led to (${hops})`);
    await page.goto('/');
    assert.ok((await cartCount(page)) > before, `#cart-count on the home page went up from ${before}`);
  });

  it('logs user1 out', { timeout: STEP_TIMEOUT_MS }, async () => {
    await logOut(page);
    await page.goto('/profile');
    assert.equal(new URL(page.url()).pathname, '/login', '/profile sends a logged-out visitor to /login');
  });

  it('lets the admin change the price; the next load shows it', { timeout: STEP_TIMEOUT_MS }, async () => {
    await logIn(page, ADMIN);
    await page.goto(`/admin/products/${productId}`);
    const newCents = shownCents + 1_111;
    await page.locator('input[name="price"]').fill((newCents / 100).toFixed(2));
    // Cached again just before the change: the copy from earlier may have expired by now
    // (the shop's page TTL is 10 s without the WAL listener) on a slow machine.
    await cacheAnonymousProductPage();
    const hops = await submitAndLoad(page, () => page.press('input[name="price"]', 'Enter'));
    shownCents = newCents;
    assert.equal(
      new URL(page.url()).pathname,
      `/p/${productId}`,
      `the admin form leads to the product (${hops})`,
    );
    assert.equal(await priceCents(page, productId), newCents, 'the product page after the change');
    await page.reload();
    assert.equal(await priceCents(page, productId), newCents, 'the product page, loaded again');
  });

  it('shows the new price to an anonymous visitor, not the cached page', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    assert.equal((await anonymousProductPage()).cents, shownCents, "an anonymous visitor's product page");
    const context = await newContext();
    try {
      const anonymous = await context.newPage();
      await anonymous.goto('/');
      // The home page showed this product first; where it still does, at the new price.
      for (const price of await anonymous.locator(`span.price[data-product-id="${productId}"]`).all()) {
        assert.equal(
          parseCents((await price.textContent()) ?? ''),
          shownCents,
          "an anonymous visitor's home page",
        );
      }
    } finally {
      await context.close();
    }
  });
}

/** Logs in through the form, and checks it took: /profile answers instead of sending to /login. */
async function logIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.goto('/login');
  await page.locator('input[name="email"]').fill(user.email);
  await page.locator('input[name="password"]').fill(user.password);
  const hops = await submitAndLoad(page, () => page.press('input[name="password"]', 'Enter'));
  const alert = page.locator('[role="alert"]');
  const said =
    (await alert.count()) > 0 ? `, saying ${JSON.stringify(await alert.first().textContent())}` : '';
  assert.notEqual(new URL(page.url()).pathname, '/login', `logging in as ${user.email}: ${hops}${said}`);
  await page.goto('/profile');
  assert.equal(new URL(page.url()).pathname, '/profile', `${user.email} is logged in (/profile answers)`);
}

/** POST /logout: through the page's own logout form when it has one, else a form of our own. */
async function logOut(page: Page): Promise<void> {
  await page.goto('/');
  const button = page.locator('form[action="/logout"] :is(button, input[type="submit"])').first();
  if ((await button.count()) > 0) {
    await submitAndLoad(page, () => button.click());
    return;
  }
  // A string, not a function: the test is compiled without the DOM's types.
  const post = `(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/logout';
    document.body.append(f); f.submit(); })()`;
  await submitAndLoad(page, () => page.evaluate(post));
}

/**
 * Runs `action` (a form submit) and waits for the page it leads to (after redirects) to
 * load. Resolves to the main frame's requests on the way (`POST /login → GET /profile`),
 * for failure messages.
 */
async function submitAndLoad(page: Page, action: () => Promise<unknown>): Promise<string> {
  const hops: string[] = [];
  const record = (request: Request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame())
      hops.push(`${request.method()} ${new URL(request.url()).pathname}`);
  };
  page.on('request', record);
  try {
    await Promise.all([page.waitForEvent('load'), action()]);
  } finally {
    page.off('request', record);
  }
  return hops.join(' → ');
}

async function cartCount(page: Page): Promise<number> {
  const text = ((await page.locator('#cart-count').first().textContent()) ?? '').trim();
  assert.match(text, /^\d+$/, `#cart-count is a number (${JSON.stringify(text)})`);
  return Number(text);
}

async function priceCents(page: Page, productId: string): Promise<number> {
  return parseCents(
    (await page.locator(`span.price[data-product-id="${productId}"]`).first().textContent()) ?? '',
  );
}

/** `$1,234.56` → 123456. */
function parseCents(text: string): number {
  const match = /\$\s*([\d,]+)\.(\d{2})/.exec(text);
  assert.ok(match?.[1] && match[2], `a price like $12.34 (got ${JSON.stringify(text)})`);
  return Number(match[1].replaceAll(',', '')) * 100 + Number(match[2]);
}
