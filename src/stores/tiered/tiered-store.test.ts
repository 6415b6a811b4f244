import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { createCache } from '../../create-cache.js';
import { memoryStore } from '../memory/memory-store.js';
import { decodeInvalidation } from './invalidation-message.js';
import { bytes, settle, text, World } from './test-support/tiered-fixture.js';
import { tieredStore } from './tiered-store.js';
import { BUS_LAG_CHANNEL } from './tiered-sync.js';

describe('tieredStore: reads', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });
  afterEach(() => world.close());

  it('answers an L1 hit synchronously, without a promise', async () => {
    const { store } = await world.start();
    await store.set('k', bytes('v'), 60_000);
    const hit = store.get('k');
    assert.ok(!(hit instanceof Promise), 'an L1 hit is not a promise');
    assert.equal(text(hit as Uint8Array), 'v');
  });

  it('answers getMany synchronously when every key is an L1 hit, and through L2 otherwise', async () => {
    const { store } = await world.start();
    await store.set('a', bytes('A'), 60_000);
    await store.set('b', bytes('B'), 60_000);
    const hits = store.getMany(['a', 'b']);
    assert.ok(!(hits instanceof Promise), 'all L1 hits: not a promise');
    assert.deepEqual(
      (hits as Array<Uint8Array | undefined>).map((value) => value && text(value)),
      ['A', 'B'],
    );
    await world.l2.set('c', bytes('C'), 60_000);
    const mixed = store.getMany(['a', 'c', 'missing']);
    assert.ok(mixed instanceof Promise, 'an L1 miss goes to L2');
    assert.deepEqual(
      (await mixed).map((value) => value && text(value)),
      ['A', 'C', undefined],
    );
    assert.equal(text(store.l1.get('c') as Uint8Array), 'C', 'the L2 answer filled L1');
  });

  it('fills L1 from L2 on a miss, then serves from L1', async () => {
    const { store } = await world.start();
    await world.l2.set('k', bytes('from L2'), 60_000);
    assert.equal(text(await store.get('k')), 'from L2');
    assert.equal(world.l2.calls.get('get'), 1);
    assert.equal(text(store.get('k') as Uint8Array), 'from L2');
    assert.equal(world.l2.calls.get('get'), 1, 'the second read never reached L2');
    assert.equal(store.stats().l2Reads, 1);
  });

  it('asks L2 for the TTL together with the value, and caps the L1 copy at what L2 has left', async () => {
    const { store } = await world.start();
    await world.l2.set('short', bytes('v'), 5_000);
    world.clock.advance(2_000);
    await store.get('short');
    assert.equal(world.l2.calls.get('ttl'), 1);
    assert.equal(store.l1.ttl?.('short'), 3_000);
    world.clock.advance(3_000);
    assert.equal(store.l1.get('short'), undefined, 'L1 expired with L2');
  });

  it('caps the L1 copy at l1MaxTtl, also for entries that never expire in L2', async () => {
    const { store } = await world.start({ l1MaxTtl: 10_000 });
    await world.l2.set('long', bytes('v'), 3_600_000);
    await world.l2.set('forever', bytes('v'), null);
    await store.get('long');
    await store.get('forever');
    assert.equal(store.l1.ttl?.('long'), 10_000);
    assert.equal(store.l1.ttl?.('forever'), 10_000);
    await store.set('written', bytes('v'), null);
    assert.equal(store.l1.ttl?.('written'), 10_000, 'write-through is capped too');
  });

  it('does not fill L1 with a key that left L2 between the GET and the TTL reply', async () => {
    const { store } = await world.start();
    await world.l2.set('k', bytes('v'), 60_000);
    const l2 = world.l2;
    const ttl = l2.ttl;
    (l2 as { ttl: typeof ttl }).ttl = async () => undefined;
    try {
      assert.equal(text(await store.get('k')), 'v');
    } finally {
      (l2 as { ttl: typeof ttl }).ttl = ttl;
    }
    assert.equal(store.l1.get('k'), undefined);
    assert.equal(store.stats().fillsSkipped, 1);
  });

  it('getMany serves L1 hits and fetches only the rest from L2, filling L1', async () => {
    const { store } = await world.start();
    await store.set('a', bytes('A'), 60_000); // written through: in L1
    await world.l2.set('b', bytes('B'), 60_000);
    const values = await store.getMany?.(['a', 'b', 'missing']);
    assert.deepEqual(values?.map(text), ['A', 'B', undefined]);
    assert.equal(world.l2.calls.get('get'), 2, 'b and missing only');
    assert.equal(text(store.l1.get('b') as Uint8Array), 'B');
  });

  it('reads fail as L2 failures when L2 is down and L1 has nothing', async () => {
    const { store } = await world.start();
    world.l2.failing = true;
    await assert.rejects(Promise.resolve(store.get('k')), (error) => isLarderError(error, 'E_STORE'));
  });

  it('honours skipL1 and skipL2 on get', async () => {
    const { store } = await world.start();
    await world.l2.set('k', bytes('L2'), 60_000);
    store.l1.set('k', bytes('L1'), 60_000);
    assert.equal(text(await store.get('k', { skipL1: true })), 'L2');
    assert.equal(text(await store.get('k', { skipL2: true })), 'L1');
    assert.equal(await store.get('k', { skipL1: true, skipL2: true }), undefined);
    store.l1.delete('k');
    assert.equal(await store.get('k', { skipL2: true }), undefined, 'skipL2: an L1 miss is a miss');
    assert.equal(text(await store.get('k', { skipL1: true })), 'L2');
    assert.equal(store.l1.get('k'), undefined, 'skipL1 does not fill L1');
  });
});

describe('tieredStore: writes', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });
  afterEach(() => world.close());

  it('writes L2 first, then this L1, then publishes the key with an origin and a sent-at instant', async () => {
    const { store, bus } = await world.start();
    await store.set('k', bytes('v'), 60_000);
    assert.equal(text(await world.l2.get('k')), 'v');
    assert.equal(text(store.l1.get('k') as Uint8Array), 'v');
    const message = decodeInvalidation(bus.published[0] ?? '');
    assert.deepEqual(message?.keys, ['k']);
    assert.equal(message?.sentAt, world.clock.now());
    assert.equal(typeof message?.origin, 'string');
  });

  it('a write in one process drops the key from the L1 of the others, not from its own', async () => {
    const a = await world.start();
    const b = await world.start();
    await world.l2.set('k', bytes('old'), 60_000);
    assert.equal(text(await b.store.get('k')), 'old');
    await a.store.set('k', bytes('new'), 60_000);
    await settle();
    assert.equal(b.store.l1.get('k'), undefined, 'b dropped its copy');
    assert.equal(text(await b.store.get('k')), 'new');
    assert.equal(text(a.store.get('k') as Uint8Array), 'new', 'a ignored its own message');
    assert.equal(b.store.stats().invalidationsApplied, 1);
    assert.equal(a.store.stats().invalidationsApplied, 0);
  });

  it('delete, add, incrBy, touch, setMany, deleteMany and clear(prefix) all invalidate the others', async () => {
    const a = await world.start();
    const b = await world.start();
    const fill = async (...keys: string[]) => {
      for (const key of keys) await world.l2.set(key, bytes('1'), 60_000);
      for (const key of keys) await b.store.get(key);
      for (const key of keys) assert.ok(b.store.l1.get(key) !== undefined, `${key} in b's L1`);
    };
    const dropped = async (...keys: string[]) => {
      await settle();
      for (const key of keys) assert.equal(b.store.l1.get(key), undefined, `${key} dropped from b's L1`);
    };
    await fill('d');
    await a.store.delete('d');
    await dropped('d');

    await fill('i');
    assert.equal(await a.store.incrBy?.('i', 2), 3);
    await dropped('i');

    await fill('t');
    assert.equal(await a.store.touch?.('t', 1_000), true);
    await dropped('t');

    await fill('m1', 'm2');
    await a.store.setMany?.([
      { key: 'm1', value: bytes('x'), ttlMs: 60_000 },
      { key: 'm2', value: bytes('y'), ttlMs: 60_000 },
    ]);
    await dropped('m1', 'm2');

    await fill('n1', 'n2');
    assert.equal(await a.store.deleteMany?.(['n1', 'n2']), 2);
    await dropped('n1', 'n2');

    await fill('p:1', 'p:2', 'q:1');
    await a.store.clear('p:');
    await dropped('p:1', 'p:2');
    assert.ok(b.store.l1.get('q:1') !== undefined, 'outside the prefix stays');

    world.l2.inner.delete('gone');
    await fill('gone');
    await a.store.add('gone', bytes('added'), 60_000); // exists: nothing changed
    await settle();
    assert.ok(b.store.l1.get('gone') !== undefined, 'an add that found the key changes nothing');
    world.l2.inner.delete('gone');
    await a.store.add('gone', bytes('added'), 60_000);
    await dropped('gone');
  });

  it('a failed L2 write still drops the key locally and elsewhere: it may have landed', async () => {
    const a = await world.start();
    const b = await world.start();
    await world.l2.set('k', bytes('old'), 60_000);
    await a.store.get('k');
    await b.store.get('k');
    world.l2.failing = true;
    await assert.rejects(Promise.resolve(a.store.set('k', bytes('new'), 60_000)));
    await settle();
    assert.equal(a.store.l1.get('k'), undefined);
    assert.equal(b.store.l1.get('k'), undefined);
  });

  it('a caller error (incrBy on a missing key) invalidates nothing', async () => {
    const { store, bus } = await world.start();
    await assert.rejects(Promise.resolve(store.incrBy?.('missing', 1)), (error) =>
      isLarderError(error, 'E_MISSING_KEY'),
    );
    assert.deepEqual(bus.published, []);
  });

  it('honours skipL1 and skipL2 on set, add and delete', async () => {
    const { store, bus } = await world.start();
    await store.set('l2only', bytes('v'), 60_000, { skipL1: true });
    assert.equal(store.l1.get('l2only'), undefined, 'skipL1: not written through');
    assert.equal(text(await world.l2.get('l2only')), 'v');
    assert.equal(bus.published.length, 1, 'skipL1 still invalidates other copies');

    await store.set('l1only', bytes('v'), 60_000, { skipL2: true });
    assert.equal(text(store.l1.get('l1only') as Uint8Array), 'v');
    assert.equal(await world.l2.get('l1only'), undefined);
    assert.equal(await store.add('l1only', bytes('w'), 60_000, { skipL2: true }), 'exists');
    assert.equal(await store.add('l1new', bytes('w'), 60_000, { skipL2: true }), 'stored');
    assert.equal(await world.l2.get('l1new'), undefined);
    assert.equal(await store.delete('l1only', { skipL2: true }), true);
    assert.equal(bus.published.length, 1, 'L1-only writes publish nothing');

    await store.add('added', bytes('v'), 60_000, { skipL1: true });
    assert.equal(store.l1.get('added'), undefined);
    await store.set('both', bytes('v'), 60_000, { skipL1: true, skipL2: true });
    assert.equal(store.l1.get('both'), undefined);
    assert.equal(await world.l2.get('both'), undefined);
  });

  it('leases and counters go to L2 only', async () => {
    const { store } = await world.start();
    assert.equal(await store.acquireLease?.('lease', 'token', 1_000), true);
    assert.equal(await store.acquireLease?.('lease', 'other', 1_000), false);
    assert.equal(await store.releaseLease?.('lease', 'token'), true);
    assert.equal(world.l2.calls.get('acquireLease'), 2);
    await world.l2.set('n', bytes('5'), 60_000);
    await store.get('n');
    assert.equal(await store.incrBy?.('n', 1), 6);
    assert.equal(text(await store.get('n')), '6', 'the L1 copy of a counter is dropped by incrBy');
  });
});

describe('tieredStore: messages and stats', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });
  afterEach(() => world.close());

  it('publishes the lag of each message from another process on larder:bus-lag, without keys', async () => {
    const a = await world.start({ channel: 'app-1' });
    const b = await world.start({ channel: 'app-1' });
    const seen: unknown[] = [];
    const listener = (payload: unknown): void => {
      seen.push(payload);
    };
    diagnostics.subscribe(BUS_LAG_CHANNEL, listener);
    try {
      a.bus.hold();
      await b.store.delete('secret-key');
      world.clock.advance(7);
      a.bus.release();
    } finally {
      diagnostics.unsubscribe(BUS_LAG_CHANNEL, listener);
    }
    assert.deepEqual(seen, [{ channel: 'app-1', lagMs: 7 }]);
    assert.equal(a.store.stats().lastLagMs, 7);
    assert.equal(a.store.stats().maxLagMs, 7);
  });

  it('a message it cannot read empties L1 (a newer format, or noise) and is counted', async () => {
    const { store } = await world.start();
    await store.set('k', bytes('v'), 60_000);
    world.network.deliver('larder:tiered', '{"v":2,"something":"new"}');
    await settle();
    assert.equal(store.l1.get('k'), undefined);
    assert.equal(store.stats().malformedMessages, 1);
  });

  it('separate channels do not hear each other', async () => {
    const a = await world.start({ channel: 'app-a' });
    const b = await world.start({ channel: 'app-b' });
    await world.l2.set('k', bytes('v'), 60_000);
    await b.store.get('k');
    await a.store.delete('k');
    await settle();
    assert.ok(b.store.l1.get('k') !== undefined);
    assert.equal(b.store.stats().messagesReceived, 0);
  });
});

describe('tieredStore: options, ownership, values through a cache', () => {
  it('takes its bus from L2, and refuses an L2 without one when none is given', () => {
    const l2 = memoryStore();
    const store = tieredStore({ l2 });
    assert.equal(store.bus, l2.bus);
    assert.equal(store.name, 'tiered');
    assert.equal(store.sharesBuffers, true);
    void store.close();
    const { bus: _, ...noBus } = memoryStore();
    assert.throws(
      () => tieredStore({ l2: noBus }),
      (error) =>
        isLarderError(error, 'E_INVALID_OPTION') &&
        /^tieredStore: bus must be given, since the L2 store \(memory\) has no bus/.test(error.message),
    );
  });

  it('validates its options', () => {
    const l2 = memoryStore();
    const bad: Array<[string, object]> = [
      ['l2', { l2: {} }],
      ['l1', { l2, l1: l2 }],
      ['channel', { l2, channel: '' }],
      ['l1MaxTtl', { l2, l1MaxTtl: 0 }],
      ['l1MaxTtl', { l2, l1MaxTtl: Number.POSITIVE_INFINITY }],
      ['retry.maxDelay', { l2, retry: { initialDelay: 100, maxDelay: 10 } }],
      ['heartbeat.timeout', { l2, heartbeat: { interval: '2s', timeout: '1s' } }],
      ['heartbeat.interval', { l2, heartbeat: { interval: 'often' } }],
      ['maxPendingKeys', { l2, maxPendingKeys: 0.5 }],
    ];
    for (const [option, options] of bad) {
      assert.throws(
        () => tieredStore(options as Parameters<typeof tieredStore>[0]),
        (error) =>
          isLarderError(error, 'E_INVALID_OPTION') &&
          error.message.startsWith(`tieredStore: ${option} must be `),
        option,
      );
    }
  });

  it('close() closes the subscription, L1 and L2, and ready() then rejects', async () => {
    const world = new World();
    const { store, bus } = await world.start();
    let l2Closed = false;
    world.l2.close = async () => {
      l2Closed = true;
    };
    await store.set('k', bytes('v'), 60_000);
    await settle();
    const heard = store.stats().messagesReceived;
    await store.close();
    assert.equal(store.stats().l1, 'closed');
    assert.equal(store.l1.size, 0, 'L1 closed');
    assert.ok(l2Closed, 'L2 closed');
    world.network.deliver('larder:tiered', 'noise');
    await settle();
    assert.equal(store.stats().messagesReceived, heard, 'unsubscribed');
    await assert.rejects(store.ready(), (error) => isLarderError(error, 'E_CLOSED'));
    assert.equal(bus.published.length, 1);
  });

  it('through a cache, a value read from L1 is frozen: a mutation throws and the next reader sees the original', async () => {
    const world = new World();
    const { store } = await world.start();
    const cache = createCache({ store, prefix: 'frozen' });
    try {
      await cache.set('profile', { name: 'Ada', roles: ['admin'] });
      const first = (await cache.get('profile')) as { name: string; roles: string[] };
      assert.throws(() => {
        first.name = 'Eve';
      }, TypeError);
      assert.throws(() => first.roles.push('root'), TypeError);
      assert.deepEqual(await cache.get('profile'), { name: 'Ada', roles: ['admin'] });
      assert.equal(await cache.get('profile'), first, 'L1 hits share one decoded, frozen value');
    } finally {
      await cache.close();
      await world.close();
    }
  });
});
