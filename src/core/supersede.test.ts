/**
 * A write in this process supersedes the getOrSet work in flight for its key:
 * a caller that arrives after the write neither joins a factory that may have
 * read the source before it, nor gets that factory's value from the cache
 * afterwards (the cache-aside race, closed within the process).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/index.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('a local write supersedes getOrSet work in flight', () => {
  for (const write of ['delete', 'set', 'invalidateTags', 'clear'] as const) {
    it(`${write}: a later caller does not join the older factory, and its value is not stored`, async () => {
      const cache = createCache({ store: memoryStore(), prefix: 't', lock: false });
      let version = 1;
      const gate = deferred();
      const tags = ['row:k'];
      const first = cache.getOrSet(
        'k',
        async () => {
          const read = version; // the source, read before the write
          await gate.promise;
          return read;
        },
        { tags },
      );
      await new Promise((resolve) => setImmediate(resolve)); // the factory has read version 1
      version = 2;
      if (write === 'delete') await cache.delete('k');
      else if (write === 'set') await cache.set('k', 2, { tags });
      else if (write === 'invalidateTags') await cache.invalidateTags(tags);
      else await cache.clear();
      const second = cache.getOrSet('k', () => version, { tags });
      gate.resolve();
      // It joined before the write: the value it computed, or (like an add that
      // lost, Django's get_or_set) the value stored since.
      assert.ok([1, 2].includes(await first), 'a caller that joined before the write');
      assert.equal(await second, 2, 'a caller that came after the write does not join it');
      await cache.idle();
      assert.equal(await cache.get('k'), 2, 'the older value was not stored over the write');
      await cache.close();
    });
  }

  it('a write to another key or tag leaves the flight alone (one factory call)', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 't', lock: false });
    let calls = 0;
    const gate = deferred();
    const factory = async () => {
      calls++;
      await gate.promise;
      return 'v';
    };
    const first = cache.getOrSet('k', factory, { tags: ['a'] });
    await cache.delete('other');
    await cache.invalidateTags(['b']);
    const second = cache.getOrSet('k', factory, { tags: ['a'] });
    gate.resolve();
    assert.deepEqual([await first, await second], ['v', 'v']);
    assert.equal(calls, 1);
    await cache.close();
  });
});
