/** Django's incr/decr cases, plus atomicity and TTL keeping. */
import assert from 'node:assert/strict';
import { assertTtlNear, rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

/** Atomic counters. */
export const counterCases = defineCases('incr/decr', {
  async 'incr and decr by one and by a delta'(h) {
    const cache = h.cache();
    await cache.set('answer', 41);
    assert.equal(await cache.incr('answer'), 42);
    assert.equal(await cache.get('answer'), 42);
    assert.equal(await cache.incr('answer', 10), 52);
    assert.equal(await cache.decr('answer'), 51);
    assert.equal(await cache.decr('answer', 10), 41);
    assert.equal(await cache.get('answer'), 41);
  },

  async 'negative deltas, and counting below zero'(h) {
    const cache = h.cache();
    await cache.set('n', 1);
    assert.equal(await cache.incr('n', -5), -4);
    assert.equal(await cache.decr('n', -5), 1);
    assert.equal(await cache.decr('n', 2), -1);
    assert.equal(await cache.get('n'), -1);
    await cache.set('negative', -10);
    assert.equal(await cache.incr('negative'), -9);
  },

  async 'counting up to the largest safe integer'(h) {
    const cache = h.cache();
    await cache.set('big', Number.MAX_SAFE_INTEGER - 1);
    assert.equal(await cache.incr('big'), Number.MAX_SAFE_INTEGER);
    assert.equal(await cache.get('big'), Number.MAX_SAFE_INTEGER);
  },

  async 'counting past the largest safe integer is E_NOT_INTEGER and changes nothing'(h) {
    const cache = h.cache();
    await cache.set('top', Number.MAX_SAFE_INTEGER);
    await rejectsWithCode(cache.incr('top'), 'E_NOT_INTEGER', 'incr past 2^53 - 1');
    assert.equal(await cache.get('top'), Number.MAX_SAFE_INTEGER);
    await cache.set('bottom', Number.MIN_SAFE_INTEGER);
    await rejectsWithCode(cache.decr('bottom'), 'E_NOT_INTEGER', 'decr past -(2^53 - 1)');
    assert.equal(await cache.get('bottom'), Number.MIN_SAFE_INTEGER);
  },

  async 'a missing key is E_MISSING_KEY and is not created'(h) {
    const cache = h.cache();
    await rejectsWithCode(cache.incr('does-not-exist'), 'E_MISSING_KEY', 'incr');
    await rejectsWithCode(cache.decr('does-not-exist'), 'E_MISSING_KEY', 'decr');
    await rejectsWithCode(cache.incr('does-not-exist', 5), 'E_MISSING_KEY', 'incr by 5');
    assert.equal(await cache.has('does-not-exist'), false);
  },

  async 'a value that is not an integer is E_NOT_INTEGER and stays as it was'(h) {
    const cache = h.cache();
    const values: Record<string, unknown> = {
      text: 'abc',
      digits: '42', // a string, even one of digits, is not a counter
      float: 1.5,
      null: null,
      object: { count: 1 },
      bigint: 5n,
      yes: true,
    };
    for (const [key, value] of Object.entries(values)) {
      await cache.set(key, value);
      await rejectsWithCode(cache.incr(key), 'E_NOT_INTEGER', `incr of ${key}`);
      await rejectsWithCode(cache.decr(key), 'E_NOT_INTEGER', `decr of ${key}`);
      assert.deepEqual(await cache.get(key), value, `${key} is unchanged`);
    }
  },

  async 'incr and decr keep the TTL'(h) {
    const cache = h.cache();
    await cache.set('timed', 1, { ttl: '1h' });
    await cache.incr('timed');
    await cache.decr('timed', 3);
    assertTtlNear(await cache.ttl('timed'), 3_600_000, 'TTL after incr/decr');
    await cache.set('forever', 1, { ttl: 'forever' });
    await cache.incr('forever');
    assert.equal(await cache.ttl('forever'), null, 'a persistent counter stays persistent');
  },

  async 'concurrent increments are not lost'(h) {
    const cache = h.cache();
    await cache.set('hits', 0);
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.incr('hits')));
    assert.equal(await cache.get('hits'), 100);
    assert.deepEqual(
      [...results].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i + 1),
      'every increment saw a distinct value',
    );
  },

  async 'incr and decr honour the version'(h) {
    const cache = h.cache();
    await cache.set('versioned', 1, { version: 2 });
    assert.equal(await cache.incr('versioned', 1, { version: 2 }), 2);
    assert.equal(await cache.decr('versioned', 5, { version: 2 }), -3);
    await rejectsWithCode(cache.incr('versioned'), 'E_MISSING_KEY', 'version 1');
    assert.equal(await cache.get('versioned', { version: 2 }), -3);
  },

  async 'a delta that is not an integer is E_INVALID_OPTION'(h) {
    const cache = h.cache();
    await cache.set('n', 1);
    await rejectsWithCode(cache.incr('n', 1.5), 'E_INVALID_OPTION', 'incr by 1.5');
    await rejectsWithCode(cache.decr('n', Number.NaN), 'E_INVALID_OPTION', 'decr by NaN');
    assert.equal(await cache.get('n'), 1);
  },
});
