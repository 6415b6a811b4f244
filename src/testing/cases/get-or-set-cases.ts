/** Django's get_or_set cases, including the racing writer. */
import assert from 'node:assert/strict';
import { assertTtlNear, rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

/** getOrSet. */
export const getOrSetCases = defineCases('getOrSet', {
  async 'a plain default is stored on a miss and the stored value wins afterwards'(h) {
    const cache = h.cache();
    assert.equal(await cache.get('projector'), undefined);
    assert.equal(await cache.getOrSet('projector', 42), 42);
    assert.equal(await cache.get('projector'), 42);
    assert.equal(await cache.getOrSet('projector', 43), 42);
  },

  async 'a callable default is called only on a miss, sync or async'(h) {
    const cache = h.cache();
    let calls = 0;
    const factory = () => {
      calls++;
      return 'computed';
    };
    assert.equal(await cache.getOrSet('sync', factory), 'computed');
    assert.equal(await cache.getOrSet('sync', factory), 'computed');
    assert.equal(calls, 1);
    const asyncFactory = async () => {
      calls++;
      await h.wait(1);
      return { computed: true };
    };
    assert.deepEqual(await cache.getOrSet('async', asyncFactory), { computed: true });
    assert.deepEqual(await cache.getOrSet('async', asyncFactory), { computed: true });
    assert.equal(calls, 2);
  },

  async 'a stored null is a hit: the factory is not called'(h) {
    const cache = h.cache();
    await cache.set('null', null);
    let called = false;
    const value = await cache.getOrSet('null', () => {
      called = true;
      return 'computed';
    });
    assert.equal(value, null);
    assert.equal(called, false);
  },

  async 'a factory that returns null stores null'(h) {
    const cache = h.cache();
    let calls = 0;
    const factory = () => {
      calls++;
      return null;
    };
    assert.equal(await cache.getOrSet('null', factory), null);
    assert.equal(await cache.has('null'), true);
    assert.equal(await cache.getOrSet('null', factory), null);
    assert.equal(calls, 1);
  },

  async 'a racing writer who stores between our get and add wins'(h) {
    const cache = h.cache();
    const value = await cache.getOrSet('race', async () => {
      // Another request stores while this one computes.
      await cache.set('race', 'theirs');
      return 'mine';
    });
    assert.equal(value, 'theirs');
    assert.equal(await cache.get('race'), 'theirs');
  },

  async 'the TTL and version options apply to the stored entry'(h) {
    const cache = h.cache();
    assert.equal(await cache.getOrSet('brian', 1979, { ttl: '1h', version: 2 }), 1979);
    assert.equal(await cache.get('brian'), undefined);
    assert.equal(await cache.get('brian', { version: 2 }), 1979);
    assertTtlNear(await cache.ttl('brian', { version: 2 }), 3_600_000, 'ttl');
    assert.equal(await cache.getOrSet('brian', 1980, { version: 2 }), 1979);
  },

  async 'a factory that throws rejects with its error and stores nothing'(h) {
    const cache = h.cache();
    const failure = new Error('database down');
    await assert.rejects(
      cache.getOrSet('broken', () => {
        throw failure;
      }),
      (error) => error === failure,
    );
    await assert.rejects(
      cache.getOrSet('broken', () => Promise.reject(failure)),
      (error) => error === failure,
    );
    assert.equal(await cache.has('broken'), false);
  },

  async 'getOrSet without a factory is E_INVALID_ARGUMENT and stores nothing'(h) {
    const cache = h.cache();
    const untyped = cache.getOrSet as (key: string, factory?: unknown) => Promise<unknown>;
    await rejectsWithCode(untyped.call(cache, 'no-factory'), 'E_INVALID_ARGUMENT', 'no factory');
    await rejectsWithCode(untyped.call(cache, 'no-factory', undefined), 'E_INVALID_ARGUMENT', 'undefined');
    assert.equal(await cache.has('no-factory'), false);
  },
});
