/** Django's cache-versioning cases, including incr_version / decr_version. */
import assert from 'node:assert/strict';
import { assertTtlNear, rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

/** Key versions. */
export const versionCases = defineCases('versioning', {
  async 'caches with different versions on one prefix do not see each other’s entries'(h) {
    const v1 = h.cache({ version: 1 });
    const v2 = h.cache({ version: 2 });
    assert.equal(v2.version, 2);
    await v1.set('answer1', 42);
    assert.equal(await v1.get('answer1'), 42);
    assert.equal(await v2.get('answer1'), undefined);
    assert.equal(await v1.get('answer1', { version: 2 }), undefined);
    assert.equal(await v2.get('answer1', { version: 1 }), 42);
    await v2.set('answer1', 'v2');
    assert.equal(await v1.get('answer1'), 42);
    assert.equal(await v2.get('answer1'), 'v2');
  },

  async 'a version per call overrides the cache’s version in every operation'(h) {
    const cache = h.cache();
    await cache.set('k', 'v2', { version: 2 });
    assert.equal(await cache.get('k'), undefined);
    assert.equal(await cache.get('k', { version: 2 }), 'v2');
    assert.equal(await cache.has('k'), false);
    assert.equal(await cache.has('k', { version: 2 }), true);
    assert.equal(await cache.add('k', 'v1'), 'stored');
    assert.equal(await cache.add('k', 'again', { version: 2 }), 'exists');
    assert.deepEqual(await cache.getMany(['k'], { version: 2 }), new Map([['k', 'v2']]));
    await cache.setMany({ m: 'm3' }, { version: 3 });
    assert.equal(await cache.get('m'), undefined);
    assert.equal(await cache.get('m', { version: 3 }), 'm3');
    assert.equal(await cache.touch('m', '1h', { version: 3 }), true);
    assertTtlNear(await cache.ttl('m', { version: 3 }), 3_600_000, 'ttl at version 3');
    assert.equal(await cache.deleteMany(['m'], { version: 3 }), 1);
    assert.equal(await cache.delete('k', { version: 2 }), true);
    assert.equal(await cache.get('k'), 'v1', 'version 1 was not touched');
  },

  async 'incrVersion moves the entry to the next version'(h) {
    const cache = h.cache();
    await cache.set('answer', 42);
    assert.equal(await cache.incrVersion('answer'), 2);
    assert.equal(await cache.get('answer'), undefined);
    assert.equal(await cache.get('answer', { version: 2 }), 42);
    assert.equal(await cache.incrVersion('answer', 1, { version: 2 }), 3);
    assert.equal(await cache.get('answer', { version: 2 }), undefined);
    assert.equal(await cache.get('answer', { version: 3 }), 42);
    assert.equal(await cache.incrVersion('answer', 5, { version: 3 }), 8);
    assert.equal(await cache.get('answer', { version: 8 }), 42);
  },

  async 'decrVersion moves the entry back'(h) {
    const cache = h.cache({ version: 2 });
    await cache.set('answer', 42);
    assert.equal(await cache.decrVersion('answer'), 1);
    assert.equal(await cache.get('answer'), undefined);
    assert.equal(await cache.get('answer', { version: 1 }), 42);
    assert.equal(await cache.decrVersion('answer', 1, { version: 1 }), 0);
    assert.equal(await cache.get('answer', { version: 0 }), 42);
  },

  async 'incrVersion replaces an entry already at the target version'(h) {
    const cache = h.cache();
    await cache.set('k', 'current');
    await cache.set('k', 'stale', { version: 2 });
    assert.equal(await cache.incrVersion('k'), 2);
    assert.equal(await cache.get('k', { version: 2 }), 'current');
  },

  async 'incrVersion and decrVersion keep the TTL'(h) {
    const cache = h.cache();
    await cache.set('timed', 1, { ttl: '1h' });
    await cache.incrVersion('timed');
    assertTtlNear(await cache.ttl('timed', { version: 2 }), 3_600_000, 'ttl after incrVersion');
    await cache.set('forever', 1, { ttl: null });
    await cache.incrVersion('forever');
    assert.equal(await cache.ttl('forever', { version: 2 }), null);
    await cache.decrVersion('forever', 1, { version: 2 });
    assert.equal(await cache.ttl('forever'), null);
  },

  async 'incrVersion and decrVersion of a missing key are E_MISSING_KEY'(h) {
    const cache = h.cache();
    await rejectsWithCode(cache.incrVersion('does-not-exist'), 'E_MISSING_KEY', 'incrVersion');
    await rejectsWithCode(cache.decrVersion('does-not-exist'), 'E_MISSING_KEY', 'decrVersion');
    assert.equal(await cache.has('does-not-exist', { version: 2 }), false);
  },

  async 'incrVersion keeps the stored bytes: a counter stays a counter'(h) {
    const cache = h.cache();
    await cache.set('counter', 10);
    await cache.incrVersion('counter');
    assert.equal(await cache.incr('counter', 1, { version: 2 }), 11);
  },

  async 'incrVersion and decrVersion take integer deltas only; the entry stays where it was'(h) {
    const cache = h.cache();
    await cache.set('k', 'v1');
    for (const delta of [0.5, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await rejectsWithCode(cache.incrVersion('k', delta), 'E_INVALID_OPTION', `incrVersion ${delta}`);
      await rejectsWithCode(cache.decrVersion('k', delta), 'E_INVALID_OPTION', `decrVersion ${delta}`);
    }
    assert.equal(await cache.get('k'), 'v1', 'the entry did not move');
  },
});
