/** The session suite's own contract: registration, skips (written or for a missing hook) and option checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import session from 'express-session';
import {
  type ConformanceTestFn,
  describeSessionStore,
  runSessionStoreSuite,
  type SessionStoreHarness,
  type SessionSuiteRunner,
  sessionStoreCases,
} from './index.js';

/** A runner that records what the suite registers instead of running it. */
function recordingRunner(): {
  runner: SessionSuiteRunner;
  titles: string[];
  skipped: string[];
  groups: string[];
  hooks: number[];
} {
  const titles: string[] = [];
  const skipped: string[] = [];
  const groups: string[] = [];
  const hooks: number[] = [];
  const register = (name: string, _fn: ConformanceTestFn) => titles.push(name);
  const runner: SessionSuiteRunner = {
    describe: (name, fn) => {
      groups.push(name);
      fn();
    },
    it: Object.assign(register, { skip: (name: string, _fn: ConformanceTestFn) => skipped.push(name) }),
    after: () => hooks.push(1),
  };
  return { runner, titles, skipped, groups, hooks };
}

const harness: SessionStoreHarness = { name: 'memory', makeStore: () => new session.MemoryStore() };
const withHooks: SessionStoreHarness = { ...harness, corrupt: async () => {}, ttlOf: async () => 1 };

describe('describeSessionStore', () => {
  it('registers every case under one group, and closes the harness after them', () => {
    const { runner, titles, groups, hooks } = recordingRunner();
    describeSessionStore(withHooks, { runner });
    assert.deepEqual(groups, ['session store compliance: memory']);
    assert.deepEqual(
      titles,
      sessionStoreCases.map((c) => c.name),
    );
    assert.equal(new Set(titles).size, titles.length, 'case names are unique (they key the skip list)');
    assert.deepEqual(hooks, [1]);
  });

  it('skips the cases whose hook the harness lacks, saying which', () => {
    const { runner, titles, skipped } = recordingRunner();
    describeSessionStore(harness, { runner });
    const needing = sessionStoreCases.filter((c) => c.needs !== undefined);
    assert.ok(needing.length >= 5, 'the malformed cases need corrupt, the default-expiry case ttlOf');
    assert.deepEqual(
      skipped,
      needing.map((c) => `${c.name} (skipped: the harness has no ${c.needs} hook)`),
    );
    assert.equal(titles.length + skipped.length, sessionStoreCases.length);
  });

  it('refuses a skip entry that names no case or has no reason, and a harness without makeStore', async () => {
    const { runner } = recordingRunner();
    assert.throws(() => describeSessionStore(harness, { runner, skip: { 'lifecycle: no such case': 'r' } }), {
      code: 'E_INVALID_OPTION',
      message: /no such case/,
    });
    const first = sessionStoreCases[0]?.name ?? '';
    await assert.rejects(runSessionStoreSuite(harness, { skip: { [first]: '' } }), {
      code: 'E_INVALID_OPTION',
      message: /written reason/,
    });
    await assert.rejects(runSessionStoreSuite({ name: 'x' } as unknown as SessionStoreHarness), {
      code: 'E_INVALID_OPTION',
      message: /makeStore/,
    });
    await assert.rejects(runSessionStoreSuite(harness, { pairs: 0 }), {
      code: 'E_INVALID_OPTION',
      message: /pairs/,
    });
  });

  it('reports a skipped case as a result with its reason, and closes the harness', async () => {
    let closed = 0;
    const skip = Object.fromEntries(sessionStoreCases.map((c) => [c.name, 'not in this test']));
    const results = await runSessionStoreSuite({ ...harness, close: async () => void closed++ }, { skip });
    assert.deepEqual(
      results.map((r) => [r.outcome, r.detail]),
      sessionStoreCases.map(() => ['skip', 'not in this test']),
    );
    assert.equal(closed, 1);
  });
});
