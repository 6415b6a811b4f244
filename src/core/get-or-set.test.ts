/**
 * getOrSet freshness on a fake clock and fake timers: single flight, the lease
 * between two caches sharing one store (two "processes"), grace and
 * stale-while-revalidate, fail-safe with backoff, soft and hard timeouts, and
 * XFetch. Behaviour across real processes and a real Redis is tested in
 * src/stampede.integration.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { createRandom } from '../test-support/seeded-random.js';
import { isLarderError } from './errors.js';
import { refreshEarly } from './get-or-set.js';
import type { Store } from './store.js';
import { type InternalGetOrSetOptions, STORE_IN_BACKGROUND } from './store-in-background.js';
import type { Cache, CacheErrorEvent, CacheOptions, GetOrSetOptions } from './types.js';

const START = 1_700_000_000_000;

function setup(options: Partial<CacheOptions> = {}) {
  const clock = { t: START, now: () => clock.t };
  const store = memoryStore({ clock });
  const make = (extra: Partial<CacheOptions> = {}): Cache =>
    createCache({ store, clock, prefix: 'fresh', ...options, ...extra });
  return { clock, store, cache: make(), make };
}

/** Let promise chains run (setImmediate is not faked). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('getOrSet freshness', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  async function advance(clock: { t: number }, ms: number): Promise<void> {
    clock.t += ms;
    mock.timers.tick(ms);
    await flush();
  }

  it('concurrent callers in one process share one factory run', async () => {
    const { cache } = setup();
    const gate = deferred<string>();
    let calls = 0;
    const results = Array.from({ length: 1000 }, () =>
      cache.getOrSet('cold', () => {
        calls++;
        return gate.promise;
      }),
    );
    await flush();
    gate.resolve('value');
    assert.deepEqual(new Set(await Promise.all(results)), new Set(['value']));
    assert.equal(calls, 1);
    assert.equal(cache.stats().coalesced, 999);
    assert.equal(await cache.get('cold'), 'value');
  });

  it('two caches on one store (two processes) make one call through the lease; lock: false makes two', async () => {
    const { make } = setup();
    const a = make();
    const b = make();
    let calls = 0;
    const gate = deferred<string>();
    const factory = () => {
      calls++;
      return gate.promise;
    };
    const first = a.getOrSet('k', factory);
    await flush();
    const second = b.getOrSet('k', factory);
    await flush();
    gate.resolve('v');
    await flush();
    await mock.timers.tick(10);
    await flush();
    assert.deepEqual(await Promise.all([first, second]), ['v', 'v']);
    assert.equal(calls, 1);
    assert.equal(b.stats().leaseWaits, 1);

    let unlocked = 0;
    const open = deferred<string>();
    const noLock = () => {
      unlocked++;
      return open.promise;
    };
    const c = a.getOrSet('other', noLock, { lock: false });
    const d = b.getOrSet('other', noLock, { lock: false });
    await flush();
    open.resolve('w');
    assert.deepEqual(await Promise.all([c, d]), ['w', 'w']);
    assert.equal(unlocked, 2);
  });

  it('a waiter takes the lease over when the holder never releases it', async () => {
    const { make, clock } = setup({ lock: { ttl: 500, wait: 5_000 } });
    const holder = make();
    const waiter = make();
    void holder.getOrSet('hung', () => new Promise<string>(() => {})); // never settles: a hung process
    await flush();
    let waiterCalls = 0;
    const result = waiter.getOrSet('hung', () => {
      waiterCalls++;
      return 'taken over';
    });
    for (let i = 0; i < 60 && waiterCalls === 0; i++) await advance(clock, 20);
    assert.equal(await result, 'taken over');
    assert.equal(waiter.stats().leaseTakeovers, 1);
  });

  it('a waiter gives up waiting after lock.wait and computes itself', async () => {
    const { make, clock } = setup({ lock: { ttl: 60_000, wait: 300 } });
    void make().getOrSet('slow', () => new Promise<string>(() => {}));
    await flush();
    const waiter = make();
    const result = waiter.getOrSet('slow', () => 'mine');
    for (let i = 0; i < 40; i++) await advance(clock, 20);
    assert.equal(await result, 'mine');
  });

  it('grace: a stale value is served at once while one caller refreshes it in the background', async () => {
    const { cache, clock } = setup({ grace: '1m' });
    assert.equal(await cache.getOrSet('g', () => 'v1', { ttl: 1000 }), 'v1');
    await advance(clock, 1500);
    assert.equal(await cache.get('g'), undefined, 'get serves fresh values only');
    const refresh = deferred<string>();
    let calls = 0;
    const factory = () => {
      calls++;
      return refresh.promise;
    };
    assert.equal(await cache.getOrSet('g', factory, { ttl: 1000 }), 'v1');
    assert.equal(await cache.getOrSet('g', factory, { ttl: 1000 }), 'v1');
    assert.equal(calls, 1);
    assert.equal(cache.stats().staleServed, 2);
    refresh.resolve('v2');
    await cache.idle();
    assert.equal(await cache.getOrSet('g', factory, { ttl: 1000 }), 'v2');
    await advance(clock, 61_000 + 1000);
    assert.equal(await cache.getOrSet('g', () => 'v3', { ttl: 1000 }), 'v3', 'past the grace it is a miss');
  });

  it('fail-safe: a failing refresh serves the stale value, reports the error and backs off', async () => {
    const { cache, clock } = setup({ grace: '1h', failSafeBackoff: '10s' });
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (event) => errors.push(event));
    await cache.getOrSet('f', () => 'good', { ttl: 1000 });
    await advance(clock, 2000);
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('database down');
    };
    assert.equal(await cache.getOrSet('f', failing, { ttl: 1000 }), 'good');
    await cache.idle();
    assert.equal(calls, 1);
    assert.equal(errors[0]?.code, 'E_FACTORY_FAILED');
    assert.equal((errors[0]?.error.cause as Error | undefined)?.message, 'database down');
    // Within the backoff: stale, and the source is left alone.
    assert.equal(await cache.getOrSet('f', failing, { ttl: 1000 }), 'good');
    await cache.idle();
    assert.equal(calls, 1);
    await advance(clock, 10_001);
    assert.equal(await cache.getOrSet('f', () => 'better', { ttl: 1000 }), 'good');
    await cache.idle();
    assert.equal(await cache.getOrSet('f', failing, { ttl: 1000 }), 'better');
    assert.equal(cache.stats().factoryErrors, 1);
  });

  it('without a stale value a failing factory rejects with its own error', async () => {
    const { cache } = setup({ grace: '1h' });
    await assert.rejects(
      cache.getOrSet('none', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await cache.get('none'), undefined);
  });

  it('soft timeout: waits that long for a fresh value, then serves stale and stores the late value', async () => {
    const { cache, clock } = setup({ grace: '1h', timeout: { soft: 100 } });
    await cache.getOrSet('s', 'old', { ttl: 1000 });
    await advance(clock, 2000);
    const fast = cache.getOrSet('s', () => 'quick', { ttl: 1000 });
    assert.equal(await fast, 'quick', 'a refresh faster than the soft timeout is awaited');
    await advance(clock, 2000);
    const slow = deferred<string>();
    const result = cache.getOrSet('s', () => slow.promise, { ttl: 1000 });
    await flush(); // let the call reach its timer before time moves
    await advance(clock, 100);
    assert.equal(await result, 'quick');
    slow.resolve('late');
    await cache.idle();
    assert.equal(await cache.get('s'), 'late');
  });

  it('hard timeout: rejects with E_FACTORY_TIMEOUT when nothing stale exists, and still stores the late value', async () => {
    const { cache, clock } = setup({ timeout: { hard: 200 } });
    const slow = deferred<string>();
    const result = cache.getOrSet('h', () => slow.promise);
    const settled = result.catch((error: unknown) => error);
    await flush();
    await advance(clock, 200);
    const error = await settled;
    assert.ok(isLarderError(error, 'E_FACTORY_TIMEOUT'), String(error));
    slow.resolve('eventually');
    await cache.idle();
    assert.equal(await cache.get('h'), 'eventually');
  });

  it('a tagged getOrSet reads the entry and its tag generations in one round trip', async () => {
    const { store, clock } = setup();
    const calls: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    // An asynchronous view of the memory store that answers on the next turn, like a server.
    const delayed = <T>(name: string, answer: () => T): Promise<T> => {
      calls.push(name);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) =>
        setImmediate(() => {
          inFlight--;
          resolve(answer());
        }),
      );
    };
    // The memory store answers synchronously; its types say MaybePromise.
    const local = store as unknown as {
      get(key: string): Uint8Array | undefined;
      set(key: string, value: Uint8Array, ttlMs: number | null): void;
      add(key: string, value: Uint8Array, ttlMs: number | null): 'stored' | 'exists';
      delete(key: string): boolean;
    };
    const remote: Store = {
      name: 'remote',
      get: (key) => delayed('get', () => local.get(key)),
      getMany: (keys) => delayed('getMany', () => keys.map((key) => local.get(key))),
      set: (key, value, ttlMs) => delayed('set', () => local.set(key, value, ttlMs)),
      add: (key, value, ttlMs) => delayed('add', () => local.add(key, value, ttlMs)),
      delete: (key) => delayed('delete', () => local.delete(key)),
      clear: (prefix) => store.clear(prefix),
    };
    const cache = createCache({ store: remote, clock, prefix: 'fresh', lock: false });
    const tags = ['a', 'b'];
    const first = cache.getOrSet('k', () => 'v', { tags });
    await flush();
    assert.equal(await first, 'v');
    calls.length = 0;
    maxInFlight = 0;
    const hit = cache.getOrSet('k', () => 'w', { tags });
    await flush();
    assert.equal(await hit, 'v');
    assert.deepEqual(calls, ['getMany', 'get'], 'one batch of counters and one GET, nothing after');
    assert.equal(maxInFlight, 2, 'both in flight at once');
  });

  it('waitUntil receives every background refresh', async () => {
    const handed: Promise<unknown>[] = [];
    const { cache, clock } = setup({ grace: '1h', waitUntil: (work) => handed.push(work) });
    await cache.getOrSet('w', 'a', { ttl: 1000 });
    await advance(clock, 2000);
    await cache.getOrSet('w', () => 'b', { ttl: 1000 });
    assert.ok(handed.length >= 1);
    await Promise.all(handed);
    assert.equal(await cache.get('w'), 'b');
  });
});

describe('XFetch early refresh', () => {
  const entry = (computeMs: number) => ({
    value: 'v',
    meta: { createdAt: 0, staleAt: 60_000, computeMs },
  });

  it('refreshes early only near expiry, more often the closer and the slower to compute', () => {
    const random = createRandom(42);
    const rate = (now: number, computeMs: number, beta = 1) => {
      let early = 0;
      for (let i = 0; i < 10_000; i++) if (refreshEarly(entry(computeMs), beta, now, random)) early++;
      return early / 10_000;
    };
    assert.equal(rate(0, 100), 0, 'a minute before expiry: never');
    assert.equal(rate(50_000, 100), 0, '10 s before expiry with a 100 ms computation: never');
    const far = rate(59_800, 100);
    const near = rate(59_950, 100);
    assert.ok(far > 0.05 && far < 0.25, `200 ms before expiry: exp(-2) ≈ 0.14, got ${far}`);
    assert.ok(near > 0.5 && near < 0.7, `50 ms before expiry: exp(-0.5) ≈ 0.61, got ${near}`);
    assert.ok(rate(59_800, 100, 2) > far, 'a larger beta refreshes earlier');
    assert.equal(rate(59_999, 0), 0, 'no compute time recorded: no early refresh');
    assert.equal(rate(59_999, 100, 0), 0, 'beta 0 turns it off');
  });

  it('a hit near expiry triggers one background refresh and still returns the current value', async () => {
    const clock = { t: START, now: () => clock.t };
    const store = memoryStore({ clock });
    const cache = createCache({ store, clock, prefix: 'xfetch', random: () => 0.999_999 });
    await cache.getOrSet(
      'x',
      async () => {
        clock.t += 500; // the computation "took" 500 ms
        return 'v1';
      },
      { ttl: 10_000 },
    );
    clock.t += 9_000; // 1 s before expiry; -ln(1e-6) * 500 ms ≈ 6.9 s of reach
    let calls = 0;
    assert.equal(
      await cache.getOrSet(
        'x',
        () => {
          calls++;
          return 'v2';
        },
        { ttl: 10_000 },
      ),
      'v1',
    );
    await cache.idle();
    assert.equal(calls, 1);
    assert.equal(await cache.get('x'), 'v2');
  });
});

describe('getOrSet storing in the background (internal, for larder/sql)', () => {
  /** `options` with the internal option on, as larder/sql's read plan builds them. */
  function inBackground(options: GetOrSetOptions = {}): GetOrSetOptions {
    const internal: InternalGetOrSetOptions = { ...options, [STORE_IN_BACKGROUND]: true };
    return internal;
  }

  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  /** The memory store with its entry writes (set, add; not tag counters) held until `open()`, like a slow server. */
  function heldWrites() {
    const { store, clock, make } = setup();
    const local = store as unknown as {
      set(key: string, value: Uint8Array, ttlMs: number | null): void;
      add(key: string, value: Uint8Array, ttlMs: number | null): 'stored' | 'exists';
    };
    let gate = deferred<void>();
    const writes: string[] = [];
    const held: Store = Object.assign(Object.create(store) as Store, {
      set: async (key: string, value: Uint8Array, ttlMs: number | null) => {
        if (!key.includes('#')) {
          writes.push(`set ${key}`);
          await gate.promise;
        }
        local.set(key, value, ttlMs);
      },
      add: async (key: string, value: Uint8Array, ttlMs: number | null) => {
        if (!key.includes('#')) {
          writes.push(`add ${key}`);
          await gate.promise;
        }
        return local.add(key, value, ttlMs);
      },
    });
    const open = () => {
      gate.resolve();
      gate = deferred<void>();
    };
    return { clock, held, writes, open, make, cache: make({ store: held, lock: false }) };
  }

  it('resolves with the value before the store finishes; until then this process joins the run; idle() waits for the store', async () => {
    const { cache, writes, open } = heldWrites();
    let calls = 0;
    const factory = () => `v${++calls}`;
    let first: string | undefined;
    void cache.getOrSet('k', factory, inBackground({ tags: ['t'] })).then((v) => (first = v));
    await flush();
    assert.equal(first, 'v1', 'resolved while the store is held');
    assert.equal(writes.length, 1, 'the store has started');
    assert.equal(await cache.getOrSet('k', factory, inBackground({ tags: ['t'] })), 'v1');
    assert.equal(calls, 1, 'a caller during the store joined the run');
    assert.equal(cache.stats().coalesced, 1);
    let idle = false;
    const waiting = cache.idle().then(() => (idle = true));
    await flush();
    assert.equal(idle, false, 'idle() waits for the background store');
    open();
    await waiting;
    assert.equal(await cache.get('k', {}), 'v1');
    assert.equal(await cache.getOrSet('k', factory, inBackground({ tags: ['t'] })), 'v1');
    assert.equal(calls, 1);
  });

  it('a caller that saw an invalidation after the run read its generations does not join it', async () => {
    const { cache, open } = heldWrites();
    let calls = 0;
    const factory = () => `v${++calls}`;
    const options = inBackground({ tags: ['t'] });
    assert.equal(await cache.getOrSet('k', factory, options), 'v1');
    await cache.invalidateTags(['t']);
    // The first run is still storing (its write is held), and its value predates the invalidation.
    assert.equal(await cache.getOrSet('k', factory, options), 'v2');
    open();
    await cache.idle();
    assert.equal(calls, 2);
    assert.equal(await cache.getOrSet('k', factory, options), 'v2', 'the newer value is the one served');
  });

  it('without the option the caller waits for the store (the naive order the option changes)', async () => {
    const { cache, writes, open } = heldWrites();
    let resolved = false;
    const result = cache
      .getOrSet('k', () => 'v', { tags: ['t'] })
      .then((value) => {
        resolved = true;
        return value;
      });
    await flush();
    assert.deepEqual(writes, ['add fresh:1:k']);
    assert.equal(resolved, false);
    open();
    assert.equal(await result, 'v');
  });

  it('keeps a value a concurrent writer stored first, and returns its own', async () => {
    const { cache, open, make } = heldWrites();
    const result = await cache.getOrSet('k', () => 'mine', inBackground());
    await make().set('k', 'theirs'); // another process, whose write lands first
    assert.equal(result, 'mine');
    open();
    await cache.idle();
    assert.equal(await cache.get('k'), 'theirs');
  });

  it('releases the lease once stored, so another process waiting for it reads the value', async () => {
    const { make, held, open } = heldWrites();
    const a = make({ store: held });
    const b = make({ store: held });
    let calls = 0;
    const factory = () => `v${++calls}`;
    assert.equal(await a.getOrSet('k', factory, inBackground()), 'v1');
    const waiter = b.getOrSet('k', factory);
    await flush();
    await mock.timers.tick(10);
    await flush();
    open();
    await flush();
    await mock.timers.tick(20);
    await flush();
    assert.equal(await waiter, 'v1');
    assert.equal(calls, 1);
    assert.equal(b.stats().leaseWaits, 1);
  });

  it('an awaited value is encoded and written after its callers resumed and flushed their next commands', async () => {
    const { cache, writes, open } = heldWrites();
    const order: string[] = [];
    const result = cache
      .getOrSet('k', async () => 'v', inBackground({ tags: ['t'] }))
      .then((value) => {
        order.push(`caller, ${writes.length} writes`);
        // What a Redis client does with the caller's next command: flush it from a setImmediate.
        setImmediate(() => order.push(`next command flushed, ${writes.length} writes`));
        return value;
      });
    assert.equal(await result, 'v');
    await flush();
    assert.deepEqual(order, ['caller, 0 writes', 'next command flushed, 0 writes']);
    assert.deepEqual(writes, ['add fresh:1:k'], 'then it was written');
    open();
    await cache.idle();
    assert.equal(await cache.get('k'), 'v');
  });

  it('a local delete while the background fill compresses (off the event loop) keeps it from being stored', async () => {
    let duringEncoding: (() => void) | undefined;
    const probe = {
      id: 9,
      name: 'probe',
      serialize: (value: unknown) => {
        // Runs just before the compression is handed to the thread pool: a microtask lands while it runs.
        if (duringEncoding !== undefined) queueMicrotask(duringEncoding);
        return Buffer.from(JSON.stringify(value));
      },
      deserialize: (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString()) as unknown,
    };
    const { cache } = setup({ serializer: probe });
    const big = 'x'.repeat(5000); // above the 1 KiB compression threshold
    let deleted = false;
    duringEncoding = () => {
      deleted = true;
      void cache.delete('k');
    };
    assert.equal(await cache.getOrSet('k', async () => big, inBackground()), big);
    await cache.idle();
    assert.equal(deleted, true, 'the delete came in while the value was being compressed');
    assert.equal(await cache.get('k'), undefined, 'the superseded value was not stored after the delete');
    duringEncoding = undefined;
    assert.equal(await cache.getOrSet('k', async () => big, inBackground()), big);
    await cache.idle();
    assert.equal(await cache.get('k'), big, 'stored when nothing supersedes it');
  });

  it('a value that cannot be encoded is reported, not thrown at callers who already have it', async () => {
    const { cache } = setup({ maxValueBytes: 1000 });
    const errors: string[] = [];
    cache.on('error', (event) => errors.push(event.code));
    const big = 'x'.repeat(2000);
    assert.equal(await cache.getOrSet('k', async () => big, inBackground()), big);
    await cache.idle();
    assert.deepEqual(errors, ['E_SERIALIZE']);
    assert.equal(await cache.get('k'), undefined, 'nothing stored');
    assert.equal(cache.stats().errors, 1);
  });

  it('is internal: a storeInBackground field given in the options does nothing', async () => {
    const { cache, writes, open } = heldWrites();
    let resolved = false;
    const options = { tags: ['t'], storeInBackground: true } as GetOrSetOptions;
    const result = cache.getOrSet('k', () => 'v', options).then(() => (resolved = true));
    await flush();
    assert.deepEqual(writes, ['add fresh:1:k']);
    assert.equal(resolved, false, 'the caller waits for the store');
    open();
    await result;
  });
});
