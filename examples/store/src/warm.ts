/**
 * Warming at start-up (mode `full`): the hottest pages, fetched from the shop
 * itself a few at a time within a time budget, so the first visitors after a
 * deploy find them cached. The SQL results they read are stored with `add`
 * (what `getOrSet` does for an absent key), so warming never overwrites a
 * value written meanwhile. An exceeded budget stops warming, never the start.
 */
import type pg from 'pg';

/** Options of `warmShop`. */
export interface WarmOptions {
  readonly budgetMs: number;
  readonly concurrency?: number;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly log: (line: string) => void;
}

/** The hottest URLs: home, the first page of every category, the best-selling products. */
async function hottest(raw: pg.Pool): Promise<string[]> {
  const categories = await raw.query<{ slug: string }>('SELECT slug FROM categories ORDER BY id');
  const products = await raw.query<{ id: number }>('SELECT id FROM products ORDER BY id LIMIT 100');
  return [
    '/',
    ...categories.rows.map((row) => `/c/${row.slug}`),
    ...products.rows.map((row) => `/p/${row.id}`),
  ];
}

/** Fetch the hottest pages of the shop at `url`; returns what was warmed, skipped and failed. */
export async function warmShop(url: string, raw: pg.Pool, options: WarmOptions) {
  const startedAt = performance.now();
  const targets = await hottest(raw);
  const outcome = { warmed: 0, failed: 0, skipped: 0 };
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      if (performance.now() - startedAt > options.budgetMs) {
        outcome.skipped = targets.length - next;
        next = targets.length;
        return;
      }
      const target = targets[next++] as string;
      const response = await fetch(`${url}${target}`).catch(() => undefined);
      await response?.arrayBuffer().catch(() => undefined);
      if (response?.ok) outcome.warmed++;
      else outcome.failed++;
      options.onProgress?.(outcome.warmed + outcome.failed, targets.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  const ms = Math.round(performance.now() - startedAt);
  options.log(
    `warming: ${outcome.warmed} pages warmed, ${outcome.skipped} skipped (budget ${options.budgetMs} ms), ${outcome.failed} failed, in ${ms} ms`,
  );
  return outcome;
}
