/**
 * The traffic of bench/e2e.ts: logged-in sessions, the URL mix (home,
 * category pages, Zipf-skewed product pages, profiles) drawn from a seeded
 * generator, autocannon over it, and the admin writer beside it.
 */
import autocannon from 'autocannon';
import { createRandom, type Random } from './create-random.js';
import { quantile } from './stats.js';
import { shuffledIds, zipfSampler } from './zipf.js';

/** Shares of the URL mix, in percent (sum 100). */
export const MIX = { home: 10, category: 25, product: 50, profile: 15 } as const;
/** Zipf exponent of product popularity. */
export const ZIPF_S = 1.1;
const SORTS = ['name', 'price', 'newest'] as const;

/** Form-post `fields` to `url` without following the redirect; resolves the response's cookies as a `Cookie` header. */
async function postForm(
  url: string,
  fields: Record<string, string>,
  cookie?: string,
): Promise<{ status: number; cookie: string }> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie === undefined ? {} : { cookie }),
    },
    body: new URLSearchParams(fields).toString(),
  });
  await response.arrayBuffer();
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
  return { status: response.status, cookie: cookies.filter((c) => c !== '').join('; ') };
}

/** Log in as `email`; resolves the session's `Cookie` header (fails without one). */
export async function logIn(baseUrl: string, email: string, password: string): Promise<string> {
  const { status, cookie } = await postForm(`${baseUrl}/login`, { email, password });
  if (status >= 400 || cookie === '') throw new Error(`POST /login as ${email}: status ${status}, no cookie`);
  return cookie;
}

/** Log in users 1..count (10 at a time); resolves their cookies. */
export async function logInUsers(baseUrl: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let start = 1; start <= count; start += 10) {
    const batch = [];
    for (let n = start; n < Math.min(count + 1, start + 10); n++)
      batch.push(logIn(baseUrl, `user${n}@example.com`, 'password'));
    cookies.push(...(await Promise.all(batch)));
  }
  return cookies;
}

/** A product-id source with the benchmark's popularity skew: rank → a seeded permutation of the ids. */
export function productPicker(productCount: number, random: Random): () => number {
  const ids = shuffledIds(productCount, createRandom(1_000_003));
  const rank = zipfSampler(productCount, ZIPF_S, random);
  return () => ids[rank() - 1] ?? 1;
}

/** One request of the mix: path and the cookie to send (profiles only). */
export interface MixRequest {
  readonly path: string;
  readonly cookie?: string;
}

/** An endless seeded sequence of requests in the proportions of `MIX`. */
export function requestMix(
  seed: number,
  slugs: readonly string[],
  productCount: number,
  cookies: readonly string[],
): () => MixRequest {
  const random = createRandom(seed);
  const product = productPicker(productCount, random);
  return () => {
    const roll = random() * 100;
    if (roll < MIX.home) return { path: '/' };
    if (roll < MIX.home + MIX.category) {
      const slug = slugs[Math.floor(random() * slugs.length)] ?? '';
      const page = 1 + Math.floor(random() * 3);
      const sort = SORTS[Math.floor(random() * SORTS.length)] ?? 'name';
      return { path: `/c/${encodeURIComponent(slug)}?page=${page}&sort=${sort}` };
    }
    if (roll < MIX.home + MIX.category + MIX.product) return { path: `/p/${product()}` };
    const cookie = cookies[Math.floor(random() * cookies.length)];
    return cookie === undefined ? { path: '/' } : { path: '/profile', cookie };
  };
}

/** What one autocannon run saw; latencies measured per response (fractional ms). */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers (redirects included: a lost session shows here), errors and timeouts. */
  readonly errors: number;
}

/** `connections` keep-alive connections for `seconds`, each request the next of `next()`. */
export async function runMix(
  baseUrl: string,
  next: () => MixRequest,
  options: { readonly connections: number; readonly seconds: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let finish: (error: unknown, result: autocannon.Result) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
      url: baseUrl,
      connections: options.connections,
      duration: options.seconds,
      timeout: 30,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => {
            const { path, cookie } = next();
            const headers = { ...request.headers };
            if (cookie !== undefined) headers.cookie = cookie;
            return { ...request, path, headers };
          },
        },
      ],
    },
    (error: unknown, result: autocannon.Result) => finish(error, result),
  );
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
    latencies.push(responseTimeMs);
  });
  const startedAt = performance.now();
  const result = await done;
  const seconds = (performance.now() - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    seconds,
    rps: result.requests.total / seconds,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    p99Ms: quantile(latencies, 0.99),
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/** The admin writer's rate and mix. */
export const WRITES = { perSecond: 5, priceShare: 0.2 } as const;

/** A writer that does nothing: for `--write-rate 0`. */
const NO_WRITER = { stop: async (): Promise<WriterResult> => ({ writes: 0, priceChanges: 0, errors: 0 }) };

/** What the admin writer did. */
export interface WriterResult {
  readonly writes: number;
  readonly priceChanges: number;
  readonly errors: number;
}

/**
 * Admin writes at `perSecond` (default `WRITES.perSecond`; 0: none) until `stop()`: on a Zipf-picked product,
 * read its price from the product page (`span.price[data-product-id]`), then
 * `POST /admin/products/:id` with a new stock and, one time in five, a price
 * changed by 1–10 %; otherwise the same price.
 */
export function startAdminWriter(
  baseUrl: string,
  adminCookie: string,
  productCount: number,
  seed: number,
  perSecond: number = WRITES.perSecond,
): { stop(): Promise<WriterResult> } {
  if (perSecond <= 0) return NO_WRITER;
  const random = createRandom(seed);
  const product = productPicker(productCount, random);
  let writes = 0;
  let priceChanges = 0;
  let errors = 0;
  let stopped = false;
  const intervalMs = 1000 / perSecond;
  const loop = (async () => {
    let dueAt = performance.now();
    while (!stopped) {
      const id = product();
      try {
        const page = await fetch(`${baseUrl}/p/${id}`);
        const html = await page.text();
        const match = new RegExp(`data-product-id="${id}"[^>]*>\\$([0-9.,]+)<`).exec(html);
        let price = Number((match?.[1] ?? '10.00').replace(/,/g, ''));
        if (random() < WRITES.priceShare) {
          price = Math.max(0.01, price * (1 + (random() < 0.5 ? -1 : 1) * (0.01 + random() * 0.09)));
          priceChanges++;
        }
        const stock = String(Math.floor(random() * 500));
        const { status } = await postForm(
          `${baseUrl}/admin/products/${id}`,
          { price: price.toFixed(2), stock },
          adminCookie,
        );
        if (status >= 400) errors++;
        writes++;
      } catch {
        errors++;
      }
      dueAt += intervalMs;
      const waitMs = dueAt - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { writes, priceChanges, errors };
    },
  };
}
