/**
 * Django's expiration, touch and timeout cases (long, forever, zero, negative,
 * float), plus `ttl()`, duration strings and millisecond precision. The few real
 * waits are short: stores keep real clocks.
 */
import assert from 'node:assert/strict';
import { MAX_TTL_MS } from '../../core/duration.js';
import { assertBetween, assertTtlNear, rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';
import { spyStore } from '../store-spy.js';

const SHORT_TTL_MS = 50;
const PAST_SHORT_TTL_MS = 150;
const DAY_MS = 86_400_000;

/** TTL rules. */
export const ttlCases = defineCases('expiration', {
  async 'entries expire after their TTL, for set, add, setMany and getOrSet'(h) {
    const cache = h.cache();
    await cache.set('expire1', 'v', { ttl: SHORT_TTL_MS });
    await cache.add('expire2', 'v', { ttl: `${SHORT_TTL_MS}ms` });
    await cache.setMany({ expire3: 'v', expire4: 'v' }, { ttl: SHORT_TTL_MS });
    await cache.getOrSet('expire5', 'v', { ttl: SHORT_TTL_MS });
    await cache.set('counter', 1, { ttl: SHORT_TTL_MS });
    await h.wait(PAST_SHORT_TTL_MS);
    assert.equal(await cache.get('expire1'), undefined);
    assert.equal(await cache.has('expire2'), false);
    assert.deepEqual(await cache.getMany(['expire3', 'expire4', 'expire5']), new Map());
    assert.equal(await cache.ttl('expire1'), undefined);
    assert.equal(await cache.touch('expire1', '1m'), false, 'touch of an expired key');
    assert.equal(await cache.add('expire2', 'again'), 'stored', 'add over an expired key');
    assert.equal(await cache.get('expire2'), 'again');
    assert.equal(await cache.getOrSet('expire5', 'again'), 'again');
    await assert.rejects(cache.incr('counter'), { code: 'E_MISSING_KEY' });
  },

  async 'touch gives an existing key a new TTL and reports whether it existed'(h) {
    const cache = h.cache();
    await cache.set('short', 'v', { ttl: SHORT_TTL_MS });
    assert.equal(await cache.touch('short', '10s'), true);
    assert.equal(await cache.touch('missing', '10s'), false);
    assert.equal(await cache.has('missing'), false, 'touch does not create keys');
    await h.wait(PAST_SHORT_TTL_MS);
    assert.equal(await cache.get('short'), 'v', 'the new TTL replaced the short one');
    assertTtlNear(await cache.ttl('short'), 10_000, 'ttl after touch');
    assert.equal(await cache.touch('short', 50), true, 'a shorter TTL is also accepted');
    assertBetween(await cache.ttl('short'), 1, 50, 'ttl after touch to 50 ms');
  },

  async 'touch with null or forever makes an entry persistent, and is true also when it already was'(h) {
    const cache = h.cache();
    await cache.set('a', 1, { ttl: '1m' });
    await cache.set('b', 2, { ttl: '1m' });
    await cache.set('persistent', 3, { ttl: null });
    assert.equal(await cache.touch('a', null), true);
    assert.equal(await cache.touch('b', 'forever'), true);
    assert.equal(await cache.touch('persistent', null), true, 'touch(null) of a key that has no TTL');
    assert.equal(await cache.touch('missing', null), false, 'touch(null) of a missing key');
    assert.equal(await cache.has('missing'), false);
    assert.equal(await cache.ttl('a'), null);
    assert.equal(await cache.ttl('b'), null);
    assert.equal(await cache.ttl('persistent'), null);
  },

  async 'touch without a TTL applies the default TTL'(h) {
    const cache = h.cache({ defaultTtl: '1h' });
    await cache.set('k', 1, { ttl: null });
    assert.equal(await cache.touch('k'), true);
    assertTtlNear(await cache.ttl('k'), 3_600_000, 'ttl after touch(k)');
  },

  async 'touch with zero or a negative TTL removes the entry'(h) {
    const cache = h.cache();
    await cache.setMany({ a: 1, b: 2 });
    assert.equal(await cache.touch('a', 0), true);
    assert.equal(await cache.touch('b', -1), true);
    assert.equal(await cache.has('a'), false);
    assert.equal(await cache.has('b'), false);
    assert.equal(await cache.touch('a', 0), false);
  },

  async 'ttl() is milliseconds left, null for an entry that never expires, undefined when absent'(h) {
    const cache = h.cache();
    await cache.set('timed', 1, { ttl: '10s' });
    await cache.set('forever', 1, { ttl: 'forever' });
    assertTtlNear(await cache.ttl('timed'), 10_000, 'timed');
    assert.equal(await cache.ttl('forever'), null);
    assert.equal(await cache.ttl('missing'), undefined);
  },

  async 'TTLs have millisecond precision end to end'(h) {
    const cache = h.cache();
    await cache.set('ms', 1, { ttl: 1500 });
    assertBetween(await cache.ttl('ms'), 1000, 1500, '1500 ms, not rounded to whole seconds');
    await cache.set('short', 1, { ttl: 250 });
    assertBetween(await cache.ttl('short'), 1, 250, '250 ms');
  },

  async 'an omitted TTL uses defaultTtl: 300 s unless configured'(h) {
    const cache = h.cache();
    await cache.set('set', 1);
    await cache.add('add', 1);
    await cache.setMany({ setMany: 1 });
    await cache.getOrSet('getOrSet', 1);
    for (const key of ['set', 'add', 'setMany', 'getOrSet'])
      assertTtlNear(await cache.ttl(key), 300_000, key);
    const hourly = h.cache({ defaultTtl: '1h', prefix: h.otherPrefix('hourly') });
    await hourly.set('k', 1);
    assertTtlNear(await hourly.ttl('k'), 3_600_000, 'defaultTtl 1h');
    const forever = h.cache({ defaultTtl: 'forever', prefix: h.otherPrefix('forever') });
    await forever.set('k', 1);
    assert.equal(await forever.ttl('k'), null, "defaultTtl 'forever'");
  },

  async 'a long TTL (over 30 days, and a year) is a duration, not a timestamp'(h) {
    const cache = h.cache();
    const thirtyDaysAndASecond = 30 * DAY_MS + 1000;
    await cache.set('set', 1, { ttl: thirtyDaysAndASecond });
    await cache.add('add', 1, { ttl: thirtyDaysAndASecond });
    await cache.setMany({ setMany: 1 }, { ttl: thirtyDaysAndASecond });
    for (const key of ['set', 'add', 'setMany']) {
      assert.equal(await cache.get(key), 1, key);
      assertTtlNear(await cache.ttl(key), thirtyDaysAndASecond, key);
    }
    await cache.set('year', 1, { ttl: '365d' });
    assertTtlNear(await cache.ttl('year'), 365 * DAY_MS, '365d');
  },

  async 'null and forever never expire, for set, add, setMany, getOrSet and incr'(h) {
    const cache = h.cache();
    await cache.set('set', 1, { ttl: null });
    await cache.add('add', 1, { ttl: 'forever' });
    await cache.setMany({ setMany: 1 }, { ttl: null });
    await cache.getOrSet('getOrSet', 1, { ttl: 'forever' });
    await cache.incr('set');
    for (const key of ['set', 'add', 'setMany', 'getOrSet']) {
      assert.ok((await cache.get(key)) !== undefined, key);
      assert.equal(await cache.ttl(key), null, key);
    }
  },

  async 'set replaces the TTL along with the value'(h) {
    const cache = h.cache();
    await cache.set('k', 1, { ttl: '1h' });
    await cache.set('k', 2, { ttl: null });
    assert.equal(await cache.ttl('k'), null, 'a persistent set drops the old TTL');
    await cache.set('k', 3, { ttl: '1m' });
    assertTtlNear(await cache.ttl('k'), 60_000, 'a timed set over a persistent entry');
  },

  async 'a zero TTL stores nothing and removes an existing entry; add reports stored'(h) {
    const cache = h.cache();
    await cache.set('new', 'v', { ttl: 0 });
    assert.equal(await cache.has('new'), false);
    for (const ttl of [0, '0s', '0ms', -0] as const) {
      await cache.set('existing', 'v');
      await cache.set('existing', 'replacement', { ttl });
      assert.equal(await cache.has('existing'), false, `set with ttl ${String(ttl)} removed the old entry`);
    }
    assert.equal(await cache.add('added', 'v', { ttl: 0 }), 'stored');
    assert.equal(await cache.has('added'), false, 'add with ttl 0 stored nothing');
    await cache.setMany({ a: 1, b: 2 });
    assert.deepEqual(await cache.setMany({ a: 3, b: 4, c: 5 }, { ttl: 0 }), []);
    assert.deepEqual(await cache.getMany(['a', 'b', 'c']), new Map());
    assert.equal(await cache.getOrSet('getOrSet', 'computed', { ttl: 0 }), 'computed');
    assert.equal(await cache.has('getOrSet'), false);
  },

  async 'a negative TTL stores nothing and removes an existing entry; add reports stored'(h) {
    const cache = h.cache();
    for (const ttl of [-1, -1000, '-5s', -0.5] as const) {
      await cache.set('existing', 'v');
      await cache.set('existing', 'replacement', { ttl });
      assert.equal(await cache.has('existing'), false, `set with ttl ${String(ttl)}`);
      assert.equal(await cache.add('added', 'v', { ttl }), 'stored', `add with ttl ${String(ttl)}`);
      assert.equal(await cache.has('added'), false, `add with ttl ${String(ttl)} stored nothing`);
    }
    await cache.setMany({ a: 1 });
    await cache.setMany({ a: 2, b: 3 }, { ttl: -1 });
    assert.deepEqual(await cache.getMany(['a', 'b']), new Map());
  },

  async 'fractional TTLs reach the store as whole milliseconds, rounded up'(h) {
    const spy = spyStore(h.store);
    const cache = h.cache({ store: spy.store });
    await cache.set('tiny', 1, { ttl: 0.4 });
    await cache.set('one-and-a-half', 1, { ttl: 1.5 });
    await cache.set('seconds', 1, { ttl: '1.5s' });
    await cache.add('add', 1, { ttl: 2500.4 });
    await cache.setMany({ many: 1 }, { ttl: 99.01 });
    // setMany reaches the store as setMany, or as one set per entry where the store has no setMany.
    const written = spy.ttlCalls
      .filter((call) => call.operation !== 'touch')
      .map((call) => [call.key, call.ttlMs] as const);
    assert.deepEqual(
      new Map(written),
      new Map([
        [h.storedKey('tiny'), 1],
        [h.storedKey('one-and-a-half'), 2],
        [h.storedKey('seconds'), 1500],
        [h.storedKey('add'), 2501],
        [h.storedKey('many'), 100],
      ]),
    );
    await cache.touch('seconds', 1234.5);
    // touch reaches the store as touch, or as get + set where the store has no touch.
    assert.deepEqual(spy.ttlCalls.at(-1), {
      operation: h.store.touch === undefined ? 'set' : 'touch',
      key: h.storedKey('seconds'),
      ttlMs: 1235,
    });
    assertBetween(await cache.ttl('add'), 1, 2501, 'ttl of add with 2500.4 ms');
    assertBetween(await cache.ttl('seconds'), 1, 1235, 'ttl after touch with 1234.5 ms');
  },

  async 'duration strings: ms, s, m, h, d'(h) {
    const cache = h.cache();
    const durations = {
      '250ms': 250,
      '2s': 2000,
      '1.5s': 1500,
      '3m': 180_000,
      '2h': 7_200_000,
      '1d': DAY_MS,
    } as const;
    for (const [ttl, ms] of Object.entries(durations)) {
      await cache.set(ttl, 1, { ttl: ttl as keyof typeof durations });
      assertTtlNear(await cache.ttl(ttl), ms, ttl, Math.min(ms - 1, 5_000));
    }
  },

  async 'a TTL or grace beyond MAX_TTL_MS (2^31 - 1 seconds) is E_INVALID_OPTION, and nothing is stored'(h) {
    const cache = h.cache();
    for (const ttl of [1e300, MAX_TTL_MS + 1, '24856d'] as const) {
      await rejectsWithCode(cache.set('huge', 1, { ttl }), 'E_INVALID_OPTION', `set ttl ${ttl}`);
      await rejectsWithCode(cache.add('huge', 1, { ttl }), 'E_INVALID_OPTION', `add ttl ${ttl}`);
      await rejectsWithCode(cache.getOrSet('huge', 1, { ttl }), 'E_INVALID_OPTION', `getOrSet ttl ${ttl}`);
    }
    await rejectsWithCode(cache.set('huge', 1, { grace: 1e300 }), 'E_INVALID_OPTION', 'grace');
    assert.equal(await cache.has('huge'), false);
    assert.throws(() => h.cache({ defaultTtl: 1e300, prefix: h.otherPrefix('huge') }), /defaultTtl/);
    // The limit itself is a TTL every store keeps as given.
    await cache.set('longest', 1, { ttl: MAX_TTL_MS });
    assertTtlNear(await cache.ttl('longest'), MAX_TTL_MS, 'MAX_TTL_MS');
  },
});
