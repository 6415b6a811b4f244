/**
 * The conformance suite every store runs: Django's `BaseCacheTests` categories
 * (basic get/set, missing keys, stored null vs default, data types, unicode and
 * binary, getMany/setMany/deleteMany, has, add, incr/decr, prefixes, a custom key
 * function, expiration and touch, long/forever/zero/negative/fractional TTLs, key
 * validation per operation, versioning, getOrSet with the racing writer, clear
 * scoped to a prefix) plus Larder's own (listing keys under a prefix, namespaces, the envelope with both
 * serializers, corrupt bytes, compression, unserializable and mutated values,
 * stats).
 *
 * Why `createCache` is a required option: `larder/testing` may import only core
 * and Node built-ins (the architecture test enforces it), and the package's
 * `createCache` lives outside core because it brings in the MessagePack
 * serializer (msgpackr). A JSON-only default from core would quietly test a
 * configuration nobody runs, since MessagePack is the default serializer, and
 * could not run the MessagePack cases at all. So the caller hands in the factory
 * they use, normally `createCache` from `larder`, and the suite tests exactly that.
 */
import { randomBytes } from 'node:crypto';
import { describe as nodeDescribe, it as nodeIt } from 'node:test';
import { optionChecks } from '../core/option-checks.js';
import type { Store } from '../core/store.js';
import { basicCases } from './cases/basic-cases.js';
import { batchCases } from './cases/batch-cases.js';
import { clearCases } from './cases/clear-cases.js';
import { compareAndSetCases } from './cases/compare-and-set-cases.js';
import { compressionCases } from './cases/compression-cases.js';
import { counterCases } from './cases/counter-cases.js';
import { dataTypeCases } from './cases/data-type-cases.js';
import { envelopeCases } from './cases/envelope-cases.js';
import { freshnessCases } from './cases/freshness-cases.js';
import { getOrSetCases } from './cases/get-or-set-cases.js';
import { keyCases } from './cases/key-cases.js';
import { keyValidationCases, listenForKeyWarnings } from './cases/key-validation-cases.js';
import { leaseCases } from './cases/lease-cases.js';
import { namespaceCases } from './cases/namespace-cases.js';
import { readPathCases } from './cases/read-path-cases.js';
import { scanKeysCases } from './cases/scan-keys-cases.js';
import { statsCases } from './cases/stats-cases.js';
import { ttlCases } from './cases/ttl-cases.js';
import { valueSafetyCases } from './cases/value-safety-cases.js';
import { versionCases } from './cases/version-cases.js';
import type { ConformanceCase } from './conformance-case.js';
import { type CacheFactory, Harness } from './harness.js';
import { checkSkips } from './skip-list.js';

const check = optionChecks('conformanceSuite');

/** The body of one registered test. */
export type ConformanceTestFn = () => Promise<void>;

/**
 * The test functions the suite registers with: `describe` and `it` from
 * `node:test` by default, or your runner's (Vitest, Jest, Mocha). Skipped cases
 * use `it.skip` when the runner has it, with the reason in the title.
 */
export interface ConformanceRunner {
  /** Groups the cases under the suite's name. */
  readonly describe: (name: string, fn: () => void) => unknown;
  /** Registers one async test. */
  readonly it: ((name: string, fn: ConformanceTestFn) => unknown) & {
    readonly skip?: (name: string, fn: ConformanceTestFn) => unknown;
  };
}

/** Options of `conformanceSuite`. */
export interface ConformanceSuiteOptions {
  /** Shown in the test output: `larder conformance: <name>`. */
  readonly name: string;
  /**
   * Creates the store under test. Called once **per case**, so every case starts
   * from a fresh store and cannot see another's state; the suite closes it
   * (`store.close()`) after the case, once it has cleared the case's keys. A
   * store over a shared server (Redis) should connect here and resolve when ready.
   */
  readonly createStore: () => Store | Promise<Store>;
  /**
   * The cache factory under test, normally `createCache` from `larder`. Required:
   * see the top of this file for why the suite does not pick one itself.
   */
  readonly createCache: CacheFactory;
  /**
   * Every key the suite writes starts with this prefix (each case gets
   * `prefix.<n>`, and removes its keys when it ends). Make it unique per run when
   * the store is shared.
   * @default `larder-conformance-<random hex>`
   */
  readonly prefix?: string;
  /**
   * Cases the store cannot pass yet, by name (`category: title`, exactly as the
   * test output prints it), each with the reason, which the output shows. Naming
   * a case that does not exist throws, so a renamed case cannot hide a skip.
   */
  readonly skip?: Readonly<Record<string, string>>;
  /** The test functions to register with. @default `describe` and `it` from `node:test` */
  readonly runner?: ConformanceRunner;
}

/** Every case, in the order they run. */
export function conformanceCases(): ConformanceCase[] {
  return [
    ...basicCases,
    ...dataTypeCases('msgpack'),
    ...dataTypeCases('json'),
    ...batchCases,
    ...counterCases,
    ...keyCases,
    ...keyValidationCases,
    ...ttlCases,
    ...versionCases,
    ...getOrSetCases,
    ...leaseCases,
    ...compareAndSetCases,
    ...freshnessCases,
    ...readPathCases,
    ...clearCases,
    ...scanKeysCases,
    ...namespaceCases,
    ...envelopeCases,
    ...valueSafetyCases,
    ...compressionCases,
    ...statsCases,
  ];
}

/**
 * Register the conformance suite for one store. Call it at the top level of a
 * test file.
 *
 * @example
 * import { createCache } from 'larder';
 * import { redisStore } from 'larder/redis';
 * import { conformanceSuite } from 'larder/testing';
 *
 * conformanceSuite({
 *   name: 'redis',
 *   createCache,
 *   createStore: async () => {
 *     const store = redisStore({ url: process.env.REDIS_URL });
 *     await store.ready();
 *     return store;
 *   },
 *   skip: { 'incr/decr: concurrent increments are not lost': 'this store has no atomic increment yet' },
 * });
 */
export function conformanceSuite(options: ConformanceSuiteOptions): void {
  const { name, createStore, createCache } = options;
  if (typeof createStore !== 'function')
    throw check.invalid('createStore', 'a function returning a Store', createStore);
  if (typeof createCache !== 'function')
    throw check.invalid('createCache', "a cache factory, normally `createCache` from 'larder'", createCache);
  const prefix = options.prefix ?? `larder-conformance-${randomBytes(4).toString('hex')}`;
  if (typeof prefix !== 'string' || prefix.length === 0)
    throw check.invalid('prefix', 'a non-empty string', prefix);
  const cases = conformanceCases();
  const skip = checkSkips(
    options.skip ?? {},
    cases.map((c) => c.name),
    check,
  );
  const runner = options.runner;
  const describe = runner?.describe ?? nodeDescribe;
  listenForKeyWarnings();

  describe(`larder conformance: ${name}`, () => {
    for (const [index, conformanceCase] of cases.entries()) {
      const body = () => runCase(conformanceCase, createStore, createCache, `${prefix}.${index}`);
      const reason = skip.get(conformanceCase.name);
      if (reason === undefined) {
        if (runner === undefined) nodeIt(conformanceCase.name, body);
        else runner.it(conformanceCase.name, body);
      } else if (runner === undefined) {
        nodeIt(conformanceCase.name, { skip: reason }, body);
      } else {
        const title = `${conformanceCase.name} (skipped: ${reason})`;
        if (runner.it.skip === undefined) runner.it(title, async () => {});
        else runner.it.skip(title, body);
      }
    }
  });
}

async function runCase(
  conformanceCase: ConformanceCase,
  createStore: () => Store | Promise<Store>,
  createCache: CacheFactory,
  prefix: string,
): Promise<void> {
  const harness = new Harness(await createStore(), prefix, createCache);
  let failure: unknown;
  try {
    await conformanceCase.run(harness);
  } catch (error) {
    failure = error;
  }
  // Clean up even after a failure; the case's own failure is the one to report.
  try {
    await harness.cleanup();
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) throw failure;
  harness.assertNoStrayErrors();
}
