/**
 * The cache under test in bench/faults.ts, the same in the bench process and
 * in its child: `createCache` over `redisStore` or `tieredStore({ l2:
 * redisStore })`, `storeTimeout: 100`, breaker and lease defaults, and the calls
 * the load makes on it.
 */

import type { Row } from './fault-database.js';
import type { StoreKind, WriterKind } from './fault-scenarios.js';
import type { Cache } from './larder-tiered.js';
import { createCache, redisStore, tieredStore } from './larder-tiered.js';

/** TTL of every entry. */
export const TTL = '30s' as const;
/** The cache's store timeout. */
export const TIMEOUT_MS = 100;

/** The cache, and the numbers worth a delta or a look. */
export interface Subject {
  readonly cache: Cache;
  /** `cache.stats()`'s numbers, and the tiered store's as `l1.<name>`. */
  stats(): Record<string, number>;
  /** The breaker's state, and the tiered L1's (`live`, `quarantined`, …) when there is one. */
  states(): { readonly breaker: string; readonly l1: string | undefined };
  /** `getOrSet` of one row (tagged with `row:<id>` when the writer invalidates by tag). */
  read(id: number, load: (id: number) => Promise<Row>): Promise<Row>;
  /** The writer's invalidation of a row it has just committed. */
  invalidate(row: Row): Promise<unknown>;
}

function numericFields(source: object, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(source))
    if (typeof value === 'number') out[`${prefix}${name}`] = value;
  return out;
}

/**
 * Open the cache of a scenario. Every process of one scenario passes the same
 * `prefix`, which also names the tiered store's bus channel: one of the
 * scenario's own, so no earlier scenario's messages reach its L1.
 */
export async function openSubject(
  store: StoreKind,
  writer: WriterKind,
  url: string,
  prefix: string,
): Promise<Subject> {
  const l2 = redisStore({ url });
  await l2.ready();
  // Degraded failures are counted by stats() and error events; console.warn would only flood the report.
  const logger = { warn() {} };
  const tiered = store === 'tiered' ? tieredStore({ l2, channel: `${prefix}:tiered` }) : undefined;
  await tiered?.ready();
  const cache = createCache({ store: tiered ?? l2, prefix, storeTimeout: TIMEOUT_MS, logger });
  const options = { ttl: TTL };
  return {
    cache,
    stats: () => ({
      ...numericFields(cache.stats()),
      ...(tiered === undefined ? {} : numericFields(tiered.stats(), 'l1.')),
    }),
    states: () => ({ breaker: cache.stats().breaker, l1: tiered?.stats().l1 }),
    read: (id, load) =>
      cache.getOrSet(
        `row:${id}`,
        () => load(id),
        writer === 'tags' ? { ...options, tags: [`row:${id}`] } : options,
      ),
    invalidate(row) {
      if (writer === 'delete') return cache.delete(`row:${row.id}`);
      if (writer === 'tags') return cache.invalidateTags([`row:${row.id}`]);
      return cache.set(`row:${row.id}`, row, { ttl: TTL });
    },
  };
}
