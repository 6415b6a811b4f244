/**
 * The session-store compliance suite against two stores that write the whole
 * session back, express-session's MemoryStore and connect-redis 9: the suite
 * must see their races (STYLE §18: a race test fails on the naive version) and
 * pass them where they keep the contract. Two deliberately broken stores show
 * that the cases both naive stores pass (lifecycle, maxAge expiry) can fail too.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import session from 'express-session';
import { connectRedisHarness, memoryStoreHarness } from '../test-support/naive-session-harnesses.js';
import {
  runSessionStoreSuite,
  type SessionCaseResult,
  type SessionStoreHarness,
  type SessionSuiteOptions,
  sessionStoreCases,
} from './index.js';

type Outcome = SessionCaseResult['outcome'];

/** Case names by their category prefix, so the expectations below read as a table. */
function caseNamed(prefix: string): string {
  const matches = sessionStoreCases.filter((c) => c.name.startsWith(prefix)).map((c) => c.name);
  assert.equal(matches.length, 1, `one case starts with "${prefix}": ${matches.join(', ')}`);
  return matches[0] ?? '';
}

const LIFECYCLE = caseNamed('lifecycle:');
const TTL_MAX_AGE = caseNamed("ttl: the stored session expires with the cookie's maxAge");
const TTL_DEFAULT = caseNamed('ttl: a session cookie without maxAge');
const TOUCH = caseNamed('touch:');
const DESTROY = caseNamed('destroy:');
const DIFFERENT_FIELDS = caseNamed('concurrency: two requests');
const UNCHANGED = caseNamed('concurrency: a change survives');
const MALFORMED = sessionStoreCases.filter((c) => c.name.startsWith('malformed:')).map((c) => c.name);

/** What each store does, case by case: the whole-session races fail on both. */
const EXPECTED: ReadonlyMap<string, Readonly<Record<string, Outcome>>> = new Map([
  [
    'express-session MemoryStore',
    {
      [LIFECYCLE]: 'pass',
      [TTL_MAX_AGE]: 'pass',
      // MemoryStore has no expiry of its own: a browser-session cookie's session stays forever.
      [TTL_DEFAULT]: 'fail',
      // Its touch rewrites the stored cookie.
      [TOUCH]: 'pass',
      [DESTROY]: 'fail',
      [DIFFERENT_FIELDS]: 'fail',
      [UNCHANGED]: 'fail',
      ...Object.fromEntries(MALFORMED.map((name) => [name, 'fail' as const])),
    },
  ],
  [
    'connect-redis 9',
    {
      [LIFECYCLE]: 'pass',
      [TTL_MAX_AGE]: 'pass',
      [TTL_DEFAULT]: 'pass',
      // Its touch only EXPIREs the key: the stored cookie keeps its first expiry (connect-redis #251, #259, #412).
      [TOUCH]: 'fail',
      [DESTROY]: 'fail',
      [DIFFERENT_FIELDS]: 'fail',
      [UNCHANGED]: 'fail',
      ...Object.fromEntries(MALFORMED.map((name) => [name, 'fail' as const])),
    },
  ],
]);

function report(t: TestContext, results: readonly SessionCaseResult[]): void {
  for (const r of results)
    if (r.outcome !== 'skip') t.diagnostic(`${r.outcome.padEnd(4)} ${r.name} — ${r.detail}`);
}

/** Every case but `only`, skipped with a reason. */
function onlyCase(only: string): SessionSuiteOptions {
  const others = sessionStoreCases.filter((c) => c.name !== only);
  return { skip: Object.fromEntries(others.map((c) => [c.name, 'not what this broken store shows'])) };
}

/** A MemoryStore with one flaw. */
function brokenMemoryStore(name: string, flaw: (store: session.MemoryStore) => void): SessionStoreHarness {
  return {
    name,
    makeStore: () => {
      const store = new session.MemoryStore();
      flaw(store);
      return store;
    },
  };
}

describe('the session-store compliance suite against whole-session stores', { concurrency: true }, () => {
  for (const harness of [memoryStoreHarness(), connectRedisHarness()]) {
    it(`${harness.name}: the races fail, lifecycle and maxAge expiry pass`, async (t) => {
      const results = await runSessionStoreSuite(harness);
      report(t, results);
      assert.deepEqual(
        results.map((r) => r.name),
        sessionStoreCases.map((c) => c.name),
      );
      const outcomes = Object.fromEntries(results.map((r) => [r.name, r.outcome]));
      assert.deepEqual(outcomes, EXPECTED.get(harness.name));
      const destroy = results.find((r) => r.name === DESTROY);
      assert.match(destroy?.detail ?? '', /^[1-9]\d* of 20 destroyed sessions came back/);
      const lost = results.find((r) => r.name === DIFFERENT_FIELDS);
      assert.match(lost?.detail ?? '', /^lost [1-9]\d* of 400 fields/);
    });
  }

  it('a store whose destroy does nothing fails lifecycle', async (t) => {
    const harness = brokenMemoryStore('destroy ignored', (store) => {
      store.destroy = (_id, callback) => callback?.();
    });
    const results = await runSessionStoreSuite(harness, onlyCase(LIFECYCLE));
    report(t, results);
    const lifecycle = results.find((r) => r.name === LIFECYCLE);
    assert.equal(lifecycle?.outcome, 'fail');
    assert.match(lifecycle?.detail ?? '', /after the destroy/);
  });

  it('a store that ignores the cookie expiry fails the maxAge case', async (t) => {
    const harness = brokenMemoryStore('expiry ignored', (store) => {
      const set = store.set.bind(store);
      store.set = (id, data, callback) =>
        set(id, { ...data, cookie: { ...data.cookie, expires: undefined } } as typeof data, callback);
    });
    const results = await runSessionStoreSuite(harness, onlyCase(TTL_MAX_AGE));
    report(t, results);
    const ttl = results.find((r) => r.name === TTL_MAX_AGE);
    assert.equal(ttl?.outcome, 'fail');
    assert.match(ttl?.detail ?? '', /still gave the session/);
  });
});
