/**
 * Tags: O(1) invalidation through generation counters, a missing counter read
 * as "invalid", invalidations that could not be stored retried and honoured
 * locally meanwhile. The invalidate-vs-fill race has its own randomized test
 * (tag-race.test.ts); Redis-backed behaviour is in the conformance suite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { isLarderError } from './errors.js';
import type { Store } from './store.js';

const counterKey = (tag: string) => `tags#T:${tag}`;

describe('tags', () => {
  it('invalidateTags makes every entry carrying a tag a miss, and only those', async () => {
    const store = memoryStore();
    const cache = createCache({ store, prefix: 'tags' });
    await cache.set('p1', 'one', { tags: ['product:1', 'products'] });
    await cache.set('p2', 'two', { tags: ['product:2', 'products'] });
    await cache.set('plain', 'untagged');
    await cache.invalidateTags(['product:1']);
    assert.equal(await cache.get('p1'), undefined);
    assert.equal(await cache.get('p2'), 'two');
    await cache.invalidateTags(['products']);
    assert.equal(await cache.get('p2'), undefined);
    assert.equal(await cache.get('plain'), 'untagged');
    assert.deepEqual([...(await cache.getMany(['p1', 'p2', 'plain'])).keys()], ['plain']);
    assert.equal(await cache.has('p2'), false, 'has() agrees with get()');
  });

  it('getOrSet refills an invalidated entry (overwriting it, not adding beside it)', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'tags' });
    let source = 1;
    const read = () => cache.getOrSet('k', () => source, { tags: ['t'] });
    assert.equal(await read(), 1);
    source = 2;
    await cache.invalidateTags(['t']);
    assert.equal(await read(), 2);
    source = 3;
    assert.equal(await read(), 2, 'cached again after the refill');
    assert.equal(cache.stats().factoryCalls, 2);
  });

  it("counters remembered on a sharing store's bytes never hide a later invalidation", async () => {
    // The memory store (and an L1) hands out the same bytes on every read, and
    // core remembers the parsed counter on them: an increment must still show.
    const cache = createCache({ store: memoryStore(), prefix: 'tags' });
    const tags = Object.freeze(['a', 'b']);
    let source = 1;
    const read = () => cache.getOrSet('k', () => source, { tags });
    assert.equal(await read(), 1);
    for (let round = 2; round <= 4; round++) {
      assert.equal(await read(), round - 1, 'a hit, validated by the remembered counters');
      source = round;
      await cache.invalidateTags([round % 2 === 0 ? 'a' : 'b']);
      assert.equal(await read(), round, 'the bumped counter is read afresh');
    }
    assert.equal(cache.stats().factoryCalls, 4);
  });

  it('a missing counter means invalid, never valid, and is re-seeded away from old numbers', async () => {
    const store = memoryStore();
    const cache = createCache({ store, prefix: 'tags' });
    await cache.set('k', 'v', { tags: ['t'] });
    const before = Buffer.from((await store.get(counterKey('t'))) ?? []).toString();
    store.delete(counterKey('t')); // evicted
    assert.equal(await cache.get('k'), undefined);
    await cache.set('k2', 'v2', { tags: ['t'] });
    const after = Buffer.from((await store.get(counterKey('t'))) ?? []).toString();
    assert.notEqual(after, before);
    assert.equal(await cache.get('k2'), 'v2');
    assert.equal(await cache.get('k'), undefined);
  });

  it('tags are validated: at most 32, non-empty strings', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'tags' });
    await assert.rejects(cache.set('k', 1, { tags: [''] }), (e) => isLarderError(e, 'E_INVALID_OPTION'));
    const many = Array.from({ length: 33 }, (_, i) => `t${i}`);
    await assert.rejects(cache.set('k', 1, { tags: many }), (e) => isLarderError(e, 'E_INVALID_OPTION'));
    await assert.rejects(cache.invalidateTags([42 as unknown as string]), (e) =>
      isLarderError(e, 'E_INVALID_OPTION'),
    );
  });

  it('an invalidation the store refused is honoured locally at once and retried until it lands', async () => {
    const inner = memoryStore();
    let down = false;
    const failing = () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const store: Store = {
      ...inner,
      name: 'flaky',
      incrBy: (key, delta) => (down ? failing() : (inner.incrBy?.(key, delta) ?? 0)),
      set: (key, value, ttlMs) => (down && key.includes('#T:') ? failing() : inner.set(key, value, ttlMs)),
    };
    const cache = createCache({ store, prefix: 'tags', breaker: false, logger: { warn: () => {} } });
    const other = createCache({ store: inner, prefix: 'tags' }); // another process, same data
    await cache.set('k', 'old', { tags: ['t'] });
    down = true;
    await cache.invalidateTags(['t']); // degrade: resolves, retried in the background
    assert.equal(cache.stats().pendingInvalidations, 1);
    assert.equal(await cache.get('k'), undefined, 'this process does not serve it meanwhile');
    assert.equal(await other.get('k'), 'old', 'the other process cannot know yet');
    down = false;
    for (let i = 0; i < 100 && cache.stats().pendingInvalidations > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(cache.stats().pendingInvalidations, 0);
    assert.equal(await other.get('k'), undefined, 'the retried bump reached every process');
    await cache.close();
  });

  it("under onError 'throw' a failed invalidation rejects, and is still retried", async () => {
    const inner = memoryStore();
    let down = true;
    const store: Store = {
      ...inner,
      incrBy: (key, delta) => {
        if (down) throw Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' });
        return inner.incrBy?.(key, delta) ?? 0;
      },
    };
    const cache = createCache({ store, prefix: 'tags', onError: 'throw', breaker: false });
    await cache.set('k', 'v', { tags: ['t'] });
    await assert.rejects(cache.invalidateTags(['t']), (e) => isLarderError(e, 'E_STORE'));
    down = false;
    for (let i = 0; i < 100 && cache.stats().pendingInvalidations > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await createCache({ store: inner, prefix: 'tags' }).get('k'), undefined);
  });
});
