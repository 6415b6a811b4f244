/** One case of the conformance suite, and the helper that names cases by category. */
import type { Harness } from './harness.js';

/** A named case; its name is the test title and the key of the `skip` option. */
export interface ConformanceCase {
  /** `category: what it checks`, for example `incr/decr: keeps the TTL`. */
  readonly name: string;
  readonly run: (h: Harness) => Promise<void>;
}

/** Cases of one category, by title. */
export type CaseTable = Readonly<Record<string, (h: Harness) => Promise<void>>>;

/** Turn a table of titles into cases named `category: title`. */
export function defineCases(category: string, table: CaseTable): ConformanceCase[] {
  return Object.entries(table).map(([title, run]) => ({ name: `${category}: ${title}`, run }));
}
