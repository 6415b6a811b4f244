/**
 * The cold start of bench/e2e.ts: an empty cache, then `users` requests at
 * once (home and product pages); how many times each distinct SQL text ran
 * in the first second, from the shop's `queriesByStatement`. The shop starts with
 * `SHOP_WARM=0`: in `full` it would otherwise fill the cache before listening.
 */
import { createRandom } from './create-random.js';
import type { ShopTargets } from './e2e-mode.js';
import type { E2eServers } from './e2e-servers.js';
import { productPicker } from './e2e-traffic.js';
import { type ShopMode, type ShopStats, startShopProcess, statsDelta } from './shop-process.js';

/** One cold-start configuration. */
export interface ColdStartCase {
  readonly label: string;
  readonly mode: ShopMode;
  readonly stampede: boolean;
}

/** The configurations compared: Larder's protection on in `full` and `query`, off in `query`. */
export const COLD_START_CASES: readonly ColdStartCase[] = [
  { label: 'full', mode: 'full', stampede: true },
  { label: 'query, protection on', mode: 'query', stampede: true },
  { label: 'query, SHOP_STAMPEDE=off', mode: 'query', stampede: false },
];

/** What one cold start counted. */
export interface ColdStartResult {
  readonly network: ShopTargets['network'];
  readonly label: string;
  readonly requests: number;
  readonly errors: number;
  /** Milliseconds until the last of the burst answered. */
  readonly burstMs: number;
  readonly firstSecond: ShopStats;
  readonly whole: ShopStats;
  /** The most executions of one application statement (SQL text and parameters) in the first second. */
  readonly maxPerText: number;
  readonly worstText: string;
  /** Larder's own statements in the first second: per-connection session reads, catalog lookups. */
  readonly larderStatements: number;
  readonly distinctTexts: number;
}

/**
 * Half the burst asks for the home page, half for product pages of the
 * `products` most popular products. The shop counts executions per SQL text,
 * parameters aside: with more than one product, one text legitimately runs
 * once per product.
 */
function burstPaths(users: number, productCount: number, products: number): string[] {
  const product = productPicker(productCount, createRandom(99));
  const popular = new Set<number>();
  while (popular.size < Math.min(products, productCount)) popular.add(product());
  const ids = [...popular];
  return Array.from({ length: users }, (_, i) => (i % 2 === 0 ? '/' : `/p/${ids[i % ids.length]}`));
}

/** One cold start: a fresh shop on an emptied Redis, the burst, the counters after 1 s and at the end. */
export async function coldStart(
  servers: E2eServers,
  targets: ShopTargets,
  testCase: ColdStartCase,
  options: {
    readonly users: number;
    readonly products: number;
    readonly productCount: number;
    readonly runId: string;
  },
): Promise<ColdStartResult> {
  await servers.redisClient.flushAll();
  const shop = await startShopProcess({
    databaseUrl: targets.databaseUrl,
    redisUrl: targets.redisUrl,
    mode: testCase.mode,
    stampede: testCase.stampede,
    warm: false,
    prefix: `e2e.${options.runId}.${targets.network}.cold.${testCase.mode}.${testCase.stampede ? 'on' : 'off'}.`,
  });
  try {
    const before = await shop.stats();
    let errors = 0;
    const startedAt = performance.now();
    // Settled as soon as read, so a failed read is reported after the burst
    // instead of crashing the process as an unhandled rejection.
    const firstSecond = new Promise<ShopStats | Error>((resolve) => {
      setTimeout(() => shop.stats().then(resolve, (error: unknown) => resolve(error as Error)), 1000);
    });
    await Promise.all(
      burstPaths(options.users, options.productCount, options.products).map(async (path) => {
        try {
          const response = await fetch(`${shop.url}${path}`);
          await response.arrayBuffer();
          if (response.status !== 200) errors++;
        } catch {
          errors++;
        }
      }),
    );
    const burstMs = performance.now() - startedAt;
    const atOneSecond = await firstSecond;
    if (atOneSecond instanceof Error) throw atOneSecond;
    const inFirstSecond = statsDelta(before, atOneSecond);
    const whole = statsDelta(before, await shop.stats());
    let maxPerText = 0;
    let worstText = '';
    let larderStatements = 0;
    for (const [text, count] of Object.entries(inFirstSecond.queriesByStatement)) {
      if (isLarderOwn(text)) {
        larderStatements += count;
        continue;
      }
      if (count > maxPerText) {
        maxPerText = count;
        worstText = text;
      }
    }
    return {
      network: targets.network,
      label: testCase.label,
      requests: options.users,
      errors,
      burstMs,
      firstSecond: inFirstSecond,
      whole,
      maxPerText,
      worstText,
      larderStatements,
      distinctTexts: Object.keys(inFirstSecond.queriesByStatement).length,
    };
  } finally {
    await shop.stop();
  }
}

/**
 * Larder's own statements: the session read of each new connection and the
 * catalog lookups of each new SQL text (they read `pg_catalog` or
 * `current_schemas`; the shop's queries never do). Counted apart: one session
 * read per connection is by design, however many connections the pool opens.
 */
export function isLarderOwn(text: string): boolean {
  return /pg_catalog\.|current_schemas\(|pg_control_system\(/.test(text);
}
