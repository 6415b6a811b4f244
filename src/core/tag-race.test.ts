/**
 * The invalidate-vs-fill race, with random interleavings.
 *
 * Readers fill the cache from a source (`getOrSet`, the factory reads the
 * source and pauses); writers change the source and then invalidate. Every
 * await in the scenario pauses for a random number of event-loop turns drawn
 * from a seeded generator, so each seed is one reproducible interleaving.
 * After quiescence, no entry may hold data older than the last invalidation
 * that finished. The same scenario with the naive invalidation (delete the key,
 * no generations) must fail for some seed — proof that the harness sees the race.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { createRandom } from '../test-support/seeded-random.js';
import type { Cache } from './types.js';

/** How the scenario invalidates a key whose source row changed. */
interface Strategy {
  readonly name: string;
  fill(cache: Cache, key: string, read: () => Promise<number>): Promise<number>;
  invalidate(cache: Cache, key: string): Promise<unknown>;
}

const tagged: Strategy = {
  name: 'generation counters',
  fill: (cache, key, read) => cache.getOrSet(key, read, { tags: [`row:${key}`], lock: false }),
  invalidate: (cache, key) => cache.invalidateTags([`row:${key}`]),
};

/** Cache-aside with delete-on-write: what most caches do, and what the race breaks. */
const naive: Strategy = {
  name: 'delete only',
  async fill(cache, key, read) {
    const hit = await cache.get<number>(key);
    if (hit !== undefined) return hit;
    const value = await read();
    await cache.set(key, value);
    return value;
  },
  invalidate: async (cache, key) => {
    await cache.delete(key);
  },
};

const KEYS = ['a', 'b', 'c'];

/** One interleaving; resolves the keys whose cached value is older than the source. */
async function scenario(strategy: Strategy, seed: number): Promise<string[]> {
  const random = createRandom(seed);
  const pause = async () => {
    for (let turns = Math.floor(random() * 4); turns > 0; turns--)
      await new Promise((resolve) => setImmediate(resolve));
  };
  const source = new Map(KEYS.map((key) => [key, 0]));
  const cache = createCache({ store: memoryStore(), prefix: `race${seed}`, random });
  const operations: Promise<unknown>[] = [];
  for (let i = 0; i < 60; i++) {
    const key = KEYS[Math.floor(random() * KEYS.length)] as string;
    if (random() < 0.6) {
      operations.push(
        (async () => {
          await pause();
          await strategy.fill(cache, key, async () => {
            await pause();
            const value = source.get(key) ?? 0; // the source read
            await pause();
            return value;
          });
        })(),
      );
    } else {
      operations.push(
        (async () => {
          await pause();
          source.set(key, (source.get(key) ?? 0) + 1); // the write commits
          await pause();
          await strategy.invalidate(cache, key);
        })(),
      );
    }
  }
  await Promise.all(operations);
  await cache.idle();
  const stale: string[] = [];
  for (const key of KEYS) {
    const cached = await cache.get<number>(key);
    if (cached !== undefined && cached !== source.get(key))
      stale.push(`${key}: cached ${cached}, source ${source.get(key)}`);
  }
  await cache.close();
  return stale;
}

describe('tag race: invalidation vs fill', () => {
  it('with generation counters no interleaving leaves a stale entry (200 seeds)', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const stale = await scenario(tagged, seed);
      assert.deepEqual(stale, [], `seed ${seed} (${tagged.name}) left stale entries`);
    }
  });

  it('the naive delete-only version fails the same test (the harness can see the race)', async () => {
    const failing: number[] = [];
    for (let seed = 1; seed <= 200 && failing.length < 3; seed++)
      if ((await scenario(naive, seed)).length > 0) failing.push(seed);
    assert.ok(failing.length > 0, 'no seed exposed the race in the naive version');
  });
});
