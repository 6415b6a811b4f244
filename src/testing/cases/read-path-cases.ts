/**
 * One read path: every method that asks what a key holds (`get`, `getMany`,
 * `getOrSet`, `has`, `ttl`, `touch`, `incr`) gives the same answer for
 * invalidated, stale and corrupt entries, and reads count hits and misses the
 * same way whichever method made them.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { Cache } from '../../core/types.js';
import { defineCases } from '../conformance-case.js';
import type { Harness } from '../harness.js';

/** What every method says about `key`, to compare at once. */
async function views(cache: Cache, key: string) {
  const incr = await cache.incr(key, 0).then(
    (value) => value,
    (error: { code?: string }) => error.code,
  );
  return {
    get: await cache.get(key),
    getMany: [...(await cache.getMany([key])).values()],
    has: await cache.has(key),
    ttl: await cache.ttl(key),
    incr,
  };
}

const MISSING = { get: undefined, getMany: [], has: false, ttl: undefined, incr: 'E_MISSING_KEY' };

/** A clock the case moves by hand (stores still expire by real time). */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A copy of the stored bytes under `key` with one bit flipped near the end. */
async function corrupt(h: Harness, key: string): Promise<void> {
  const bytes = Buffer.from((await h.raw(h.storedKey(key))) ?? []);
  assert.ok(bytes.byteLength > 8, `${key} is stored in an envelope`);
  bytes[bytes.byteLength - 6] = (bytes[bytes.byteLength - 6] ?? 0) ^ 0x10;
  await h.writeRaw(h.storedKey(key), bytes);
}

export const readPathCases = defineCases('read path', {
  async 'a tag-invalidated entry is absent for every method'(h) {
    const cache = h.cache();
    await cache.set('n', 5, { tags: ['t'] });
    assert.equal(await cache.has('n'), true);
    await cache.invalidateTags(['t']);
    assert.deepEqual(await views(cache, 'n'), MISSING);
    assert.equal(await cache.touch('n', '1m'), false, 'touch');
  },

  async 'a corrupt entry is absent for every method, and getOrSet recomputes it'(h) {
    const cache = h.cache();
    await cache.set('c', { name: 'a value to corrupt' });
    await corrupt(h, 'c');
    assert.deepEqual(await views(cache, 'c'), MISSING);
    assert.equal(await cache.touch('c', '1m'), false, 'touch');
    assert.equal(await cache.getOrSet('c', () => 'computed'), 'computed', 'getOrSet never serves it');
    const codes = new Set(h.takeErrors().map((event) => event.code));
    assert.deepEqual([...codes], ['E_DECODE']);
    assert.equal(await cache.get('c'), 'computed', 'and its fill overwrote the corrupt bytes');
  },

  async 'a stale entry (in grace) is absent for every method but getOrSet'(h) {
    const clock = manualClock();
    const cache = h.cache({ clock, grace: '1h' });
    await cache.set('s', 'old', { ttl: '10s' });
    const ttl = await cache.ttl('s');
    assert.ok(
      typeof ttl === 'number' && ttl <= 10_000 && ttl > 9_000,
      `ttl counts to staleness, not past grace: ${ttl}`,
    );
    clock.advance(11_000);
    assert.deepEqual(await views(cache, 's'), MISSING);
    assert.equal(await cache.touch('s', '1m'), false, 'touch');
    assert.equal(await cache.getOrSet('s', () => 'new', { timeout: { soft: '5s' } }), 'new');
  },

  async 'touch gives an entry with grace a new freshness, keeping its grace'(h) {
    const clock = manualClock();
    const cache = h.cache({ clock, grace: '1h' });
    await cache.set('g', 'value', { ttl: '10s' });
    assert.equal(await cache.touch('g', '30s'), true);
    clock.advance(20_000);
    assert.equal(await cache.get('g'), 'value', 'fresh 20 s later: touch moved staleAt');
    const ttl = await cache.ttl('g');
    assert.ok(typeof ttl === 'number' && ttl <= 10_000 && ttl > 9_000, `ttl ${ttl}`);
    clock.advance(11_000);
    assert.equal(await cache.get('g'), undefined, 'stale after the new TTL');
    assert.equal(await cache.getOrSet('g', () => 'unused', { timeout: { soft: 0 } }), 'value', 'grace kept');
    await cache.idle();
  },

  async 'has is get(key) is not a miss, stored null included'(h) {
    const cache = h.cache();
    await cache.set('null', null);
    assert.equal(await cache.has('null'), true);
    assert.equal(await cache.has('nothing'), false);
  },

  async 'every read counts one hit or miss and publishes it without the key'(h) {
    const cache = h.cache();
    const seen: Array<Record<string, unknown>> = [];
    const listen = (message: unknown) => {
      const payload = message as Record<string, unknown>;
      if (payload.prefix === cache.prefix) seen.push(payload);
    };
    diagnostics.subscribe('larder:hit', listen);
    diagnostics.subscribe('larder:miss', listen);
    try {
      await cache.set('k', 'v');
      await cache.set('t', 'v', { tags: ['gone'] });
      await cache.invalidateTags(['gone']);
      const before = cache.stats();
      await cache.get('k');
      await cache.get('absent');
      await cache.getMany(['k', 'absent', 't']);
      await cache.getOrSet('k', 'unused');
      await cache.has('k');
      await cache.has('t');
      const after = cache.stats();
      assert.equal(after.hits - before.hits, 4);
      assert.equal(after.misses - before.misses, 4);
      assert.deepEqual(seen, [
        { prefix: cache.prefix, operation: 'get' },
        { prefix: cache.prefix, operation: 'get', reason: 'absent' },
        { prefix: cache.prefix, operation: 'getMany' },
        { prefix: cache.prefix, operation: 'getMany', reason: 'absent' },
        { prefix: cache.prefix, operation: 'getMany', reason: 'invalidated' },
        { prefix: cache.prefix, operation: 'getOrSet' },
        { prefix: cache.prefix, operation: 'has' },
        { prefix: cache.prefix, operation: 'has', reason: 'invalidated' },
      ]);
    } finally {
      diagnostics.unsubscribe('larder:hit', listen);
      diagnostics.unsubscribe('larder:miss', listen);
    }
  },

  async 'incr works on an integer getOrSet stored (without grace or tags)'(h) {
    const cache = h.cache();
    assert.equal(await cache.getOrSet('hits', () => 10), 10);
    assert.equal(await cache.incr('hits'), 11);
    assert.equal(await cache.get('hits'), 11);
  },

  async 'incr refuses an integer stored with grace or tags with E_NOT_COUNTER, and changes nothing'(h) {
    const graceful = h.cache({ grace: '1m' });
    await graceful.set('with-grace', 3);
    await graceful.set('counter', 3, { grace: false });
    const plain = h.cache();
    await plain.set('tagged', 4, { tags: ['t'] });
    await plain.getOrSet('tagged-fill', () => 5, { tags: ['t'] });
    for (const [cache, key, value] of [
      [graceful, 'with-grace', 3],
      [plain, 'tagged', 4],
      [plain, 'tagged-fill', 5],
    ] as const) {
      await assert.rejects(cache.incr(key), { code: 'E_NOT_COUNTER' }, key);
      assert.equal(await cache.get(key), value, `${key} unchanged`);
    }
    assert.equal(await graceful.incr('counter'), 4, 'grace: false stores a counter');
    await plain.set('text', 'x');
    await assert.rejects(plain.incr('text'), { code: 'E_NOT_INTEGER' });
  },
});
