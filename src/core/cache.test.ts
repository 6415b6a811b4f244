/**
 * Core policies against a scripted store: degrade vs throw, the breaker, decode
 * errors and logging. Behaviour that depends on a real server is tested against
 * Redis in the store's integration tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCacheWith } from './create-cache.js';
import { LarderError } from './errors.js';
import type { Store } from './store.js';
import type { CacheErrorEvent, CacheOptions } from './types.js';

/** A store whose every call fails the way `fail` says, until `healthy` is set. */
function scriptedStore() {
  const data = new Map<string, Uint8Array>();
  const state = { healthy: true, calls: 0 };
  const guard = <T>(result: () => T): Promise<T> => {
    state.calls++;
    return state.healthy
      ? Promise.resolve(result())
      : Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  };
  const store: Store = {
    name: 'scripted',
    get: (key) => guard(() => data.get(key)),
    set: (key, value) => guard(() => void data.set(key, value)),
    add: (key, value) =>
      guard(() => {
        if (data.has(key)) return 'exists';
        data.set(key, value);
        return 'stored';
      }),
    delete: (key) => guard(() => data.delete(key)),
    clear: (prefix) =>
      guard(() => {
        for (const key of data.keys()) if (key.startsWith(prefix)) data.delete(key);
      }),
  };
  return { store, state, data };
}

function setup(options: Partial<CacheOptions> = {}) {
  const scripted = scriptedStore();
  const clock = { at: 1_000_000, now: () => clock.at };
  const logged: string[] = [];
  const cache = createCacheWith(
    { store: scripted.store, prefix: 't', clock, logger: { warn: (m) => logged.push(m) }, ...options },
    {},
  );
  const events: CacheErrorEvent[] = [];
  cache.on('error', (event) => events.push(event));
  return { cache, clock, logged, events, ...scripted };
}

describe('cache policies', () => {
  it('degrade: a failing store is a miss for reads, a no-op for writes, reported and counted', async () => {
    const { cache, state, events } = setup({ breaker: false });
    await cache.set('k', 'v');
    state.healthy = false;
    assert.equal(await cache.get('k'), undefined);
    assert.equal(await cache.get('k', { default: 'd' }), 'd');
    await cache.set('k', 'w');
    assert.equal(await cache.add('new', 1), 'unavailable', 'add tells unavailable apart from exists');
    assert.equal(await cache.has('k'), false);
    assert.equal(await cache.delete('k'), 'journaled', 'the writer is told the delete did not land yet');
    assert.deepEqual(await cache.getMany(['k']), new Map());
    assert.deepEqual(await cache.setMany({ a: 1, b: 2 }), ['a', 'b']);
    await cache.clear();
    assert.ok(events.length >= 8);
    assert.ok(events.every((e) => e.code === 'E_STORE' && e.error.cause instanceof Error));
    assert.equal(cache.stats().errors, events.length);
    assert.equal(cache.stats().pendingInvalidations, 4, 'set, delete, setMany and clear are journaled');
    state.healthy = true;
    assert.equal(await cache.get('k'), undefined, 'a key whose delete is journaled reads as a miss');
    // The one read path: every method agrees with get about a tombstoned key.
    assert.equal(await cache.has('k'), false, 'has');
    assert.deepEqual(await cache.getMany(['k']), new Map(), 'getMany');
    assert.equal(await cache.touch('k', 60_000), false, 'touch');
    await assert.rejects(cache.incr('k'), { code: 'E_MISSING_KEY' }, 'incr');
    assert.equal(await cache.getOrSet('k', 'refilled', { lock: false }), 'refilled', 'getOrSet');
    assert.equal(cache.stats().pendingInvalidations, 4, 'still journaled');
    assert.equal(await cache.flushInvalidations(), true);
    assert.equal(cache.stats().pendingInvalidations, 0);
    assert.equal(await cache.get('k'), undefined, 'the delete reached the store');
    assert.equal(await cache.add('k', 1), 'stored');
  });

  it('counting operations cannot degrade: incr throws the store error', async () => {
    const { cache, state } = setup({ breaker: false });
    state.healthy = false;
    await assert.rejects(cache.incr('n'), (e) => e instanceof LarderError && e.code === 'E_STORE');
  });

  it('throw: store failures reject with a LarderError carrying the cause', async () => {
    const { cache, state } = setup({ onError: 'throw', breaker: false });
    state.healthy = false;
    await assert.rejects(
      cache.get('k'),
      (e) =>
        e instanceof LarderError && e.code === 'E_STORE' && (e.cause as Error).message === 'ECONNREFUSED',
    );
    await assert.rejects(cache.set('k', 1), (e) => e instanceof LarderError && e.code === 'E_STORE');
  });

  it('the breaker opens after N failures and then stops calling the store until a probe succeeds', async () => {
    const { cache, state, clock, events } = setup({ breaker: { failureThreshold: 3, halfOpenAfter: '5s' } });
    state.healthy = false;
    for (let i = 0; i < 3; i++) await cache.get('k');
    assert.equal(cache.stats().breaker, 'open');
    const callsWhenOpened = state.calls;
    for (let i = 0; i < 100; i++) assert.equal(await cache.get('k', { default: i }), i);
    assert.equal(state.calls, callsWhenOpened, 'an open breaker never reaches the store');
    assert.equal(cache.stats().shortCircuited, 100);
    assert.equal(events.at(-1)?.code, 'E_CIRCUIT_OPEN');
    const openedBy = events.at(-1)?.error.cause;
    assert.ok(
      openedBy instanceof LarderError && openedBy.code === 'E_STORE',
      'the failure that opened it is the cause',
    );
    assert.equal((openedBy.cause as Error | undefined)?.message, 'ECONNREFUSED');
    clock.at += 5000;
    assert.equal(cache.stats().breaker, 'half-open');
    state.healthy = true;
    await cache.set('k', 'back');
    assert.equal(cache.stats().breaker, 'closed');
    assert.equal(await cache.get('k'), 'back');
  });

  it('server-side refusals (OOM) are reported with their own code and do not open the breaker', async () => {
    const { cache, store, events } = setup({ breaker: { failureThreshold: 1, halfOpenAfter: '5s' } });
    store.set = () => Promise.reject(new LarderError('E_STORE_OOM', 'OOM command not allowed'));
    await cache.set('k', 1);
    assert.equal(events[0]?.code, 'E_STORE_OOM');
    assert.equal(cache.stats().breaker, 'closed');
  });

  it("a store's raw client errors are classified by its mapError, once, off the hot path", async () => {
    const { cache, store, events } = setup({ onError: 'throw', breaker: false });
    store.get = () =>
      Promise.reject(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'));
    store.mapError = (error) => new LarderError('E_WRONG_TYPE', 'mapped', { cause: error });
    await assert.rejects(
      cache.get('k'),
      (e) => e instanceof LarderError && e.code === 'E_WRONG_TYPE' && e.cause instanceof Error,
    );
    assert.equal(events[0]?.code, 'E_WRONG_TYPE');
  });

  it('corrupt bytes are a miss plus an E_DECODE event, never a throw — even under onError: throw', async () => {
    const { cache, data, events } = setup({ onError: 'throw' });
    data.set('t:1:bad', Buffer.from('not ours'));
    assert.equal(await cache.get('bad', { default: 'fallback' }), 'fallback');
    assert.equal(events[0]?.code, 'E_DECODE');
    assert.equal(await cache.has('bad'), false);
    assert.deepEqual(await cache.getMany(['bad']), new Map());
  });

  it('maxValueBytes: a larger stored value is a miss plus E_DECODE; writing one throws E_SERIALIZE', async () => {
    const writer = setup({ compression: { algorithm: 'gzip', thresholdBytes: 0 } });
    const big = 'x'.repeat(100_000);
    await writer.cache.set('big', big);
    assert.equal(await writer.cache.get('big'), big);
    // A reader with a lower limit shares the store (and the keys: same prefix).
    const { cache, data, events } = setup({ onError: 'throw', maxValueBytes: 50_000 });
    for (const [key, value] of writer.data) data.set(key, value);
    assert.equal(await cache.get('big', { default: 'fallback' }), 'fallback');
    assert.equal(events[0]?.code, 'E_DECODE');
    assert.match(events[0]?.error.message ?? '', /maxValueBytes/);
    await assert.rejects(
      cache.set('other', big),
      (e) => e instanceof LarderError && e.code === 'E_SERIALIZE' && /maxValueBytes/.test(e.message),
    );
  });

  it('logs degraded failures once per 10 s window, with the count it held back', async () => {
    const { cache, state, clock, logged } = setup({ breaker: false });
    state.healthy = false;
    for (let i = 0; i < 50; i++) await cache.get('k');
    assert.equal(logged.length, 1);
    clock.at += 10_000;
    await cache.get('k');
    assert.equal(logged.length, 2);
  });

  it('a closed cache refuses work with E_CLOSED', async () => {
    const { cache } = setup();
    await cache.close();
    await assert.rejects(cache.get('k'), (e) => e instanceof LarderError && e.code === 'E_CLOSED');
  });
});
