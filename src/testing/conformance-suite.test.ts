/** The suite's own contract: option checks, skip handling and registration with another runner. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/index.js';
import { conformanceCases } from './conformance-suite.js';
import { type ConformanceRunner, type ConformanceTestFn, conformanceSuite } from './index.js';

/** A runner that records what the suite registers instead of running it. */
function recordingRunner(): {
  runner: ConformanceRunner;
  titles: string[];
  skipped: string[];
  groups: string[];
} {
  const titles: string[] = [];
  const skipped: string[] = [];
  const groups: string[] = [];
  const register = (name: string, _fn: ConformanceTestFn) => titles.push(name);
  const runner: ConformanceRunner = {
    describe: (name, fn) => {
      groups.push(name);
      fn();
    },
    it: Object.assign(register, { skip: (name: string, _fn: ConformanceTestFn) => skipped.push(name) }),
  };
  return { runner, titles, skipped, groups };
}

const base = { name: 'memory', createCache, createStore: () => memoryStore() };
const firstCase = conformanceCases()[0]?.name ?? '';

describe('conformanceSuite', () => {
  it('registers every case under one group, with the runner it is given', () => {
    const { runner, titles, groups } = recordingRunner();
    conformanceSuite({ ...base, runner });
    assert.deepEqual(groups, ['larder conformance: memory']);
    assert.deepEqual(
      titles,
      conformanceCases().map((c) => c.name),
    );
    assert.equal(new Set(titles).size, titles.length, 'case names are unique (they key the skip list)');
  });

  it('registers a skipped case with it.skip and its reason in the title', () => {
    const { runner, titles, skipped } = recordingRunner();
    conformanceSuite({ ...base, runner, skip: { [firstCase]: 'not supported by this store' } });
    assert.deepEqual(skipped, [`${firstCase} (skipped: not supported by this store)`]);
    assert.ok(!titles.includes(firstCase));
  });

  it('refuses a skip entry that names no case, or that has no reason', () => {
    const { runner } = recordingRunner();
    assert.throws(() => conformanceSuite({ ...base, runner, skip: { 'basic: no such case': 'reason' } }), {
      code: 'E_INVALID_OPTION',
      message: /no such case/,
    });
    assert.throws(() => conformanceSuite({ ...base, runner, skip: { [firstCase]: ' ' } }), {
      code: 'E_INVALID_OPTION',
      message: /written reason/,
    });
  });

  it('requires the cache factory and the store factory', () => {
    const { runner } = recordingRunner();
    const withoutCache = { name: 'x', createStore: base.createStore, runner } as unknown as Parameters<
      typeof conformanceSuite
    >[0];
    assert.throws(() => conformanceSuite(withoutCache), { code: 'E_INVALID_OPTION', message: /createCache/ });
    const withoutStore = { name: 'x', createCache, runner } as unknown as Parameters<
      typeof conformanceSuite
    >[0];
    assert.throws(() => conformanceSuite(withoutStore), { code: 'E_INVALID_OPTION', message: /createStore/ });
  });
});
