/**
 * `larder/testing`: the conformance suite every store passes. Run it against your
 * own `Store` (the contract is in `larder/store`) to check it behaves as core expects.
 */

export {
  type ConformanceRunner,
  type ConformanceSuiteOptions,
  type ConformanceTestFn,
  conformanceSuite,
} from './conformance-suite.js';
export type { CacheFactory } from './harness.js';
