/**
 * What the debug panel and `GET /__larder/stats` show: per request (through
 * an AsyncLocalStorage set by the panel middleware) and since start, the
 * database statements that reached Postgres and the cache's hits and misses
 * per layer.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Hits and misses of one cache layer. */
export interface LayerCounts {
  hits: number;
  misses: number;
}

/** The counters of one request, or of the whole process since start. */
export interface Counts {
  dbQueries: number;
  readonly page: LayerCounts;
  readonly fragment: LayerCounts;
  readonly query: LayerCounts;
}

/** The layers whose hits and misses are counted. */
export type Layer = 'page' | 'fragment' | 'query';

/** What `GET /__larder/stats` answers: counters since the shop started. */
export interface ShopStats extends Counts {
  requests: number;
  /**
   * Statements that reached Postgres, by SQL text and parameters (`text -- [values]`):
   * a cold start's duplicate work shows here.
   */
  readonly queriesByStatement: Record<string, number>;
}

const newCounts = (): Counts => ({
  dbQueries: 0,
  page: { hits: 0, misses: 0 },
  fragment: { hits: 0, misses: 0 },
  query: { hits: 0, misses: 0 },
});

/** The shop's counters: one per shop, shared by its middleware, pools and templates. */
export class RequestStats {
  readonly #current = new AsyncLocalStorage<Counts>();
  readonly #total: ShopStats = { ...newCounts(), requests: 0, queriesByStatement: {} };

  /** Run `fn` with fresh per-request counters, which it gets to read as the request goes on. */
  track<T>(fn: (counts: Counts) => T): T {
    const counts = newCounts();
    this.#total.requests++;
    return this.#current.run(counts, fn, counts);
  }

  /** A statement reached Postgres. */
  dbQuery(text: string, values: unknown): void {
    this.#total.dbQueries++;
    const statement =
      Array.isArray(values) && values.length > 0 ? `${text} -- ${JSON.stringify(values)}` : text;
    this.#total.queriesByStatement[statement] = (this.#total.queriesByStatement[statement] ?? 0) + 1;
    const counts = this.#current.getStore();
    if (counts !== undefined) counts.dbQueries++;
  }

  /**
   * A cache lookup of `layer` hit or missed. `inRequestOnly`: count it only
   * within one of this shop's requests (a process-wide diagnostics channel
   * also reports other shops' lookups).
   */
  lookup(layer: Layer, hit: boolean, inRequestOnly = false): void {
    const field = hit ? 'hits' : 'misses';
    const counts = this.#current.getStore();
    if (counts === undefined && inRequestOnly) return;
    this.#total[layer][field]++;
    if (counts !== undefined) counts[layer][field]++;
  }

  /** Count a lookup for a request whose counters are `counts` (outside its async context). */
  lookupFor(counts: Counts, layer: Layer, hit: boolean): void {
    const field = hit ? 'hits' : 'misses';
    this.#total[layer][field]++;
    counts[layer][field]++;
  }

  /** A copy of the counters since start. */
  snapshot(): ShopStats {
    return structuredClone(this.#total);
  }
}
