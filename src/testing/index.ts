/**
 * `larder/testing`: the conformance suite every store passes. Run it against your
 * own `Store` (the contract is in `larder/store`) to check it behaves as core expects.
 * Also the session-store compliance suite, runnable against any express-session store.
 */

export {
  type ConformanceRunner,
  type ConformanceSuiteOptions,
  type ConformanceTestFn,
  conformanceSuite,
} from './conformance-suite.js';
export type { CacheFactory } from './harness.js';
export type { SessionCaseResult } from './session-cases/run-session-case.js';
export type { SessionCaseContext, SessionStoreCase } from './session-cases/session-case.js';
export type {
  ExpressSessionStore,
  SessionCorruption,
  SessionStoreHarness,
} from './session-cases/session-store-harness.js';
export {
  type DescribeSessionStoreOptions,
  describeSessionStore,
  runSessionStoreSuite,
  type SessionSuiteOptions,
  type SessionSuiteRunner,
  sessionStoreCases,
} from './session-compliance.js';
