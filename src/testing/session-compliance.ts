/**
 * The session-store compliance suite: the contract an express-session store
 * keeps (lifecycle, expiry following the cookie, touch, destroy winning over a
 * concurrent save, concurrent field updates surviving, malformed values),
 * checked through a real Express app with express-session on a real port.
 * No session store for Express ships such a suite (expressjs/session#76).
 *
 * Cases are data (`sessionStoreCases`); `runSessionStoreSuite` runs them and
 * returns one result per case, for a script to print side by side;
 * `describeSessionStore` registers them as tests.
 */
import { after as nodeAfter, describe as nodeDescribe, it as nodeIt } from 'node:test';
import { optionChecks } from '../core/option-checks.js';
import type { ConformanceRunner, ConformanceTestFn } from './conformance-suite.js';
import { expiryCases } from './session-cases/expiry-cases.js';
import { lifecycleCases } from './session-cases/lifecycle-cases.js';
import { malformedCases } from './session-cases/malformed-cases.js';
import { raceCases } from './session-cases/race-cases.js';
import { runSessionCase, type SessionCaseResult } from './session-cases/run-session-case.js';
import type { SessionStoreCase, SessionSuiteSettings } from './session-cases/session-case.js';
import type { SessionStoreHarness } from './session-cases/session-store-harness.js';
import { checkSkips } from './skip-list.js';

/** Options of `runSessionStoreSuite` and `describeSessionStore`. */
export interface SessionSuiteOptions {
  /**
   * Request pairs racing on one session in each concurrency case; the destroy
   * case runs a tenth as many rounds.
   * @default 200
   */
  readonly pairs?: number;
  /**
   * How long one HTTP request may take. Generous: 20 pairs on one session
   * retry their compare-and-set against each other, and CI machines are shared.
   * @default 30_000
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long a request waits at a barrier for the other request of its pair. A
   * store that keeps requests from overlapping (a lock) makes these waits time
   * out; the result's detail counts them.
   * @default 2_000
   */
  readonly barrierTimeoutMs?: number;
  /** How long one case may take before it fails. @default 60_000 */
  readonly caseTimeoutMs?: number;
  /**
   * The size the oversized-value case asks `corrupt` to write (Larder's own
   * limit, `maxValueBytes`, is 16 MiB).
   * @default 16 MiB + 1 byte
   */
  readonly oversizedBytes?: number;
  /**
   * Cases the store cannot pass yet, by name, each with its reason. Naming a
   * case that does not exist throws.
   */
  readonly skip?: Readonly<Record<string, string>>;
}

/** Options of `describeSessionStore`: the suite's, and the test functions to register with. */
export interface DescribeSessionStoreOptions extends SessionSuiteOptions {
  /**
   * The test functions to register with; `after` closes the harness.
   * @default `describe`, `it` and `after` from `node:test`
   */
  readonly runner?: SessionSuiteRunner;
}

/** `describe`/`it` as the cache conformance suite takes them, plus `after` (Jest and Vitest: `afterAll`). */
export interface SessionSuiteRunner extends ConformanceRunner {
  /** Registers a hook that runs once after the group's tests. */
  readonly after: (fn: () => Promise<void>) => unknown;
}

/** Every case of the session-store compliance suite, in the order they run. */
export const sessionStoreCases: readonly SessionStoreCase[] = Object.freeze([
  ...lifecycleCases,
  ...expiryCases,
  ...raceCases,
  ...malformedCases,
]);

/**
 * Run every case against the harness's store, one after another, then close
 * the harness; resolves with one result per case (a failing case does not stop
 * the others).
 *
 * @example
 * import session from 'express-session';
 * import { runSessionStoreSuite } from 'larder/testing';
 *
 * const results = await runSessionStoreSuite({ name: 'memory', makeStore: () => new session.MemoryStore() });
 * console.table(results.map(({ name, outcome, detail }) => ({ name, outcome, detail })));
 */
export async function runSessionStoreSuite(
  harness: SessionStoreHarness,
  options: SessionSuiteOptions = {},
): Promise<SessionCaseResult[]> {
  const { settings, skip } = resolveOptions('runSessionStoreSuite', harness, options);
  const results: SessionCaseResult[] = [];
  try {
    for (const sessionCase of sessionStoreCases) {
      const reason = skipReason(sessionCase, harness, skip);
      results.push(
        reason === undefined
          ? await runSessionCase(sessionCase, harness, settings)
          : { name: sessionCase.name, outcome: 'skip', detail: reason, durationMs: 0 },
      );
    }
  } finally {
    await harness.close?.();
  }
  return results;
}

/**
 * Register the suite as tests, one per case, under `session store compliance:
 * <name>`; the harness is closed after the last. Call it at the top level of a
 * test file.
 *
 * @example
 * import session from 'express-session';
 * import { describeSessionStore } from 'larder/testing';
 *
 * describeSessionStore(
 *   { name: 'memory', makeStore: () => new session.MemoryStore() },
 *   { skip: { 'destroy: wins over a concurrent save (no session comes back)': 'whole-session writes' } },
 * );
 */
export function describeSessionStore(
  harness: SessionStoreHarness,
  options: DescribeSessionStoreOptions = {},
): void {
  const { settings, skip } = resolveOptions('describeSessionStore', harness, options);
  const runner = options.runner;
  const describe = runner?.describe ?? nodeDescribe;
  describe(`session store compliance: ${harness.name}`, () => {
    for (const sessionCase of sessionStoreCases) {
      const body: ConformanceTestFn = async () => {
        const result = await runSessionCase(sessionCase, harness, settings);
        if (result.outcome === 'fail') throw new Error(result.detail);
      };
      const reason = skipReason(sessionCase, harness, skip);
      if (reason === undefined) {
        if (runner === undefined) nodeIt(sessionCase.name, body);
        else runner.it(sessionCase.name, body);
      } else if (runner === undefined) {
        nodeIt(sessionCase.name, { skip: reason }, body);
      } else {
        const title = `${sessionCase.name} (skipped: ${reason})`;
        if (runner.it.skip === undefined) runner.it(title, async () => {});
        else runner.it.skip(title, body);
      }
    }
    const close = async () => {
      await harness.close?.();
    };
    if (runner === undefined) nodeAfter(close);
    else runner.after(close);
  });
}

/** The options once, in plain numbers, and the skip list checked against the cases. */
function resolveOptions(
  scope: string,
  harness: SessionStoreHarness,
  options: SessionSuiteOptions,
): { settings: SessionSuiteSettings; skip: Map<string, string> } {
  const check = optionChecks(scope);
  if (typeof harness?.makeStore !== 'function')
    throw check.invalid(
      'harness.makeStore',
      'a function returning an express-session Store',
      harness?.makeStore,
    );
  if (typeof harness.name !== 'string' || harness.name === '')
    throw check.invalid('harness.name', 'a non-empty string', harness.name);
  const settings = Object.freeze({
    pairs: check.integer('pairs', options.pairs ?? 200, 1),
    requestTimeoutMs: check.duration('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1),
    barrierTimeoutMs: check.duration('barrierTimeoutMs', options.barrierTimeoutMs, 2_000, 1),
    caseTimeoutMs: check.duration('caseTimeoutMs', options.caseTimeoutMs, 60_000, 1),
    oversizedBytes: check.integer('oversizedBytes', options.oversizedBytes ?? 16 * 1024 * 1024 + 1, 1),
  });
  const skip = checkSkips(
    options.skip ?? {},
    sessionStoreCases.map((c) => c.name),
    check,
  );
  return { settings, skip };
}

function skipReason(
  sessionCase: SessionStoreCase,
  harness: SessionStoreHarness,
  skip: ReadonlyMap<string, string>,
): string | undefined {
  const written = skip.get(sessionCase.name);
  if (written !== undefined) return written;
  if (sessionCase.needs !== undefined && typeof harness[sessionCase.needs] !== 'function')
    return `the harness has no ${sessionCase.needs} hook`;
  return undefined;
}
