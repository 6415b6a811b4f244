/**
 * `SqlAnalyzer`: `analyzeSql` behind a bounded cache keyed by the exact SQL
 * text, so a statement an application repeats is parsed once and afterwards
 * costs one Map lookup.
 *
 * The cache is a two-generation LRU: hits in the young generation are a
 * single `Map.get` (no reordering on the hot path); a hit in the old
 * generation moves the entry to the young one; when the young generation is
 * full it becomes the old one and the previous old one is dropped whole. Every
 * entry used within the last `cacheSize / 2` insertions survives, the total
 * stays within `cacheSize`, and a burst of one-off texts (literals inlined in
 * the SQL) cannot grow it.
 */
import { optionChecks } from '../../core/option-checks.js';
import { allowList, analyzeWithAllowList } from './analyze-sql.js';
import type { SqlAnalysis } from './sql-analysis.js';

/** Options of `SqlAnalyzer`. */
export interface SqlAnalyzerOptions {
  /** See `AnalyzeSqlOptions.allowFunctions`. @default none */
  readonly allowFunctions?: Iterable<string>;
  /** Most distinct texts whose analysis is kept; 0 disables the cache. @default 1000 */
  readonly cacheSize?: number;
  /**
   * Texts longer than this (in UTF-16 code units) are analyzed every time and
   * not kept, which bounds the memory of the cache to about
   * `cacheSize × maxTextLength × 2` bytes plus the analyses.
   * @default 16384
   */
  readonly maxTextLength?: number;
}

/**
 * Analyzes SQL texts and remembers the analysis of each distinct text.
 * `analyze` needs `loadSqlParser()` to have resolved (for texts not cached).
 *
 * @example
 * await loadSqlParser();
 * const analyzer = new SqlAnalyzer({ cacheSize: 2000, allowFunctions: ['slugify'] });
 * const analysis = analyzer.analyze('SELECT * FROM products WHERE id = $1');
 */
export class SqlAnalyzer {
  readonly #allow: ReadonlySet<string> | undefined;
  readonly #generationSize: number;
  /** False for a cache of one entry, which has room for the young generation only. */
  readonly #twoGenerations: boolean;
  readonly #maxTextLength: number;
  #young = new Map<string, SqlAnalysis>();
  #old = new Map<string, SqlAnalysis>();

  constructor(options: SqlAnalyzerOptions = {}) {
    this.#allow = allowList(options.allowFunctions, 'allowFunctions');
    const cacheSize = nonNegativeInteger(options.cacheSize, 1000, 'cacheSize');
    this.#generationSize = cacheSize === 1 ? 1 : Math.floor(cacheSize / 2);
    this.#twoGenerations = cacheSize >= 2;
    this.#maxTextLength = nonNegativeInteger(options.maxTextLength, 16_384, 'maxTextLength');
  }

  /**
   * The analysis of `text`. A cached analysis is the same frozen object on
   * every hit, with `parseMs` 0; a fresh one carries the time it took.
   */
  analyze(text: string): SqlAnalysis {
    return this.#young.get(text) ?? this.#miss(text);
  }

  /** Number of texts whose analysis is kept. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** Forget every kept analysis. */
  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
  }

  #miss(text: string): SqlAnalysis {
    const old = this.#old.get(text);
    if (old !== undefined) {
      this.#old.delete(text);
      this.#keep(text, old);
      return old;
    }
    const fresh = analyzeWithAllowList(text, this.#allow);
    if (this.#generationSize === 0 || text.length > this.#maxTextLength) return fresh;
    this.#keep(text, Object.freeze({ ...fresh, parseMs: 0 }));
    return fresh;
  }

  #keep(text: string, analysis: SqlAnalysis): void {
    if (this.#young.size >= this.#generationSize) {
      this.#old = this.#twoGenerations ? this.#young : new Map();
      this.#young = new Map();
    }
    this.#young.set(text, analysis);
  }
}

const check = optionChecks('larder/sql');

function nonNegativeInteger(value: number | undefined, fallback: number, option: string): number {
  return value === undefined ? fallback : check.integer(option, value, 0);
}
