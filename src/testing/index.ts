/**
 * `larder/testing`: the conformance suite every store passes. Run it against your
 * own `Store` to check it behaves as core expects.
 */

export type { ConformanceCase } from './conformance-case.js';
export {
  type ConformanceRunner,
  type ConformanceSuiteOptions,
  type ConformanceTestFn,
  conformanceCases,
  conformanceSuite,
} from './conformance-suite.js';
export type { CacheFactory, CaseCacheOptions, Harness } from './harness.js';
