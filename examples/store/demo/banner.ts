/**
 * What `npm run demo` prints once the shop runs: where it is, in which mode, on
 * which services (passwords masked), whether CDC runs, and what to click.
 */
import type { Mode } from '../src/shop.js';
import { redact } from './services.js';

/** What each mode caches, in the words of the README's table. */
const MODE_LAYERS: Record<Mode, string> = {
  off: 'no caching',
  query: 'SQL results cached',
  page: 'whole pages cached',
  fragment: 'template fragments cached',
  full: 'SQL results, pages and fragments cached; sessions in cached_db; warming',
};

/** What the banner shows. */
export interface BannerInfo {
  url: string;
  mode: Mode;
  databaseUrl: string;
  redisUrl: string | undefined;
  /** `Shop.cdc`: one line on the WAL listener. */
  cdc: string;
  embedded: { dataDir: string } | undefined;
}

/** Prints the banner through `say`, one line per call. */
export function printBanner(say: (line: string) => void, info: BannerInfo): void {
  const { mode, databaseUrl, redisUrl, cdc, embedded } = info;
  const base = info.url.replace(/\/$/, '');
  const postgres = embedded
    ? `${redact(databaseUrl)} (embedded, data in ${embedded.dataDir})`
    : redact(databaseUrl);
  say('');
  say(`Larder shop running at ${base}/`);
  say(`  mode      ${mode} (${MODE_LAYERS[mode]}); debug panel on`);
  say(`  Postgres  ${postgres}`);
  say(
    `  cache     ${redisUrl ? `Redis ${redact(redisUrl)} (prefix shop)` : 'in-memory store (this process)'}`,
  );
  say(`  CDC       ${cdc.replace(/^CDC:\s*/, '')}`);
  say('');
  say('Try:');
  say(`  home        ${base}/`);
  say(`  a product   ${base}/p/1   (reload it: the panel, bottom right, shows what was cached)`);
  say(`  log in      ${base}/login as user1@example.com / password`);
  say(`  admin       admin@example.com / admin, then ${base}/admin/products/1 changes a price`);
  say('');
  say('Press Ctrl-C to stop.');
}
