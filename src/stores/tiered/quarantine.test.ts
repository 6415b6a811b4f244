/**
 * No stale L1 after a disconnect: while the bus is not subscribed (not yet, or
 * lost) the store reads L2 only and fills nothing; when the subscription comes
 * back it empties L1 before serving from it again.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { InvalidationTracker } from './invalidation-tracker.js';
import { bytes, type ProcessOptions, settle, text, World } from './test-support/tiered-fixture.js';

describe('quarantine', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });
  afterEach(() => world.close());

  it('before the subscription is live, reads go to L2 and fill nothing', async () => {
    const bus = world.network.connect();
    bus.holdSubscribes();
    const spawned = world.spawnOn(bus);
    await world.l2.set('k', bytes('v'), 60_000);
    await settle();
    assert.equal(spawned.store.stats().l1, 'quarantined');
    assert.equal(text(await spawned.store.get('k')), 'v');
    assert.equal(spawned.store.l1.get('k'), undefined);
    bus.releaseSubscribes();
    await spawned.store.ready();
    assert.equal(spawned.store.stats().l1, 'live');
  });

  it('when the bus goes down, L1 is emptied and bypassed, and writes are not written through', async () => {
    const { store, bus } = await world.start();
    await world.l2.set('k', bytes('v1'), 60_000);
    await store.get('k');
    bus.down();
    assert.equal(store.stats().l1, 'quarantined');
    assert.equal(store.stats().quarantines, 1);
    assert.equal(store.l1.size, 0);
    // Another process's write whose message this one can no longer hear:
    await world.l2.set('k', bytes('v2'), 60_000);
    const read = store.get('k');
    assert.ok(read instanceof Promise, 'served from L2');
    assert.equal(text(await read), 'v2');
    assert.equal(store.l1.size, 0, 'nothing filled while quarantined');
    await store.set('w', bytes('x'), 60_000);
    assert.equal(store.l1.size, 0, 'nothing written through while quarantined');
  });

  it('when the bus comes back, L1 starts empty and serves again', async () => {
    const { store, bus } = await world.start();
    bus.down();
    await world.l2.set('k', bytes('v'), 60_000);
    bus.up();
    assert.equal(store.stats().l1, 'live');
    assert.equal(text(await store.get('k')), 'v');
    assert.equal(text(store.get('k') as Uint8Array), 'v', 'an L1 hit again');
  });

  /** A read in flight across a down/up cycle; resolves what is served afterwards. */
  async function fillAcrossOutage(options: ProcessOptions = {}): Promise<string | undefined> {
    const { store, bus } = await world.start(options);
    await world.l2.set('k', bytes('old'), 60_000);
    world.l2.holdReads();
    const read = store.get('k');
    bus.down();
    await world.l2.set('k', bytes('new'), 60_000); // its message is missed
    bus.up();
    world.l2.releaseReads();
    assert.equal(text(await read), 'old');
    return text(await store.get('k'));
  }

  it('a fill that started before a down/up cycle does not land after it', async () => {
    assert.equal(await fillAcrossOutage(), 'new');
  });

  it('(the naive fill, which checks nothing, lands it: the harness sees the race)', async () => {
    const blind = new (class extends InvalidationTracker {
      override changedSince(): boolean {
        return false;
      }
    })(10_000);
    assert.equal(await fillAcrossOutage({ tracker: blind }), 'old');
  });

  it('messages published while the bus was down are lost, and their keys still read fresh afterwards', async () => {
    const reader = await world.start();
    const writer = await world.start();
    await world.l2.set('k', bytes('old'), 60_000);
    await reader.store.get('k');
    reader.bus.down();
    await writer.store.set('k', bytes('new'), 60_000);
    await settle(); // delivered to nobody on the reader's side
    reader.bus.up();
    assert.equal(text(await reader.store.get('k')), 'new');
  });
});

describe('quarantine: subscribing fails', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('runs L2-only and retries subscribing with backoff until it succeeds', async () => {
    const world = new World();
    try {
      const bus = world.network.connect();
      bus.failSubscribes = 3;
      const failing = world.spawnOn(bus, {
        retry: { initialDelay: 100, maxDelay: 1_000 },
        random: () => 1,
      });
      await settle();
      assert.equal(failing.store.stats().subscribeFailures, 1);
      assert.equal(failing.store.stats().l1, 'quarantined');
      await world.l2.set('k', bytes('v'), 60_000);
      assert.equal(text(await failing.store.get('k')), 'v');
      assert.equal(failing.store.l1.size, 0);
      // random() = 1: the full delay, doubling: 100, 200, 400.
      mock.timers.tick(99);
      await settle();
      assert.equal(failing.store.stats().subscribeFailures, 1);
      mock.timers.tick(1);
      await settle();
      assert.equal(failing.store.stats().subscribeFailures, 2);
      mock.timers.tick(200);
      await settle();
      assert.equal(failing.store.stats().subscribeFailures, 3);
      mock.timers.tick(400);
      await settle();
      assert.equal(failing.store.stats().l1, 'live');
      assert.equal(text(await failing.store.get('k')), 'v');
      assert.equal(failing.store.l1.size, 1);
    } finally {
      await world.close();
    }
  });
});

describe('quarantine: the heartbeat', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout'] }));
  afterEach(() => mock.timers.reset());

  /** Move the fake clock and the mocked timers together. */
  async function elapse(world: World, ms: number): Promise<void> {
    for (let step = 0; step < ms; step += 100) {
      world.clock.advance(100);
      mock.timers.tick(100);
      await settle();
    }
  }

  it('a subscription that silently stops delivering quarantines L1 until its echo comes back', async () => {
    const world = new World();
    try {
      const { store, bus } = await world.start({ heartbeat: { interval: 1_000, timeout: 3_000 } });
      await store.set('k', bytes('v'), 60_000);
      await elapse(world, 5_000);
      assert.equal(store.stats().l1, 'live', 'echoes keep it live');
      // The connection looks fine (no down()), but nothing arrives any more.
      bus.hold();
      await elapse(world, 3_000);
      assert.equal(store.stats().l1, 'live', 'not yet overdue');
      await elapse(world, 1_000);
      assert.equal(store.stats().l1, 'quarantined');
      assert.equal(store.stats().heartbeatTimeouts, 1);
      assert.equal(store.stats().quarantines, 1);
      assert.equal(store.l1.size, 0, 'emptied');
      await world.l2.set('k', bytes('changed elsewhere'), 60_000);
      assert.equal(text(await store.get('k')), 'changed elsewhere', 'L2 only meanwhile');
      bus.release(); // the delayed echoes arrive
      await settle();
      assert.equal(store.stats().l1, 'live');
      assert.equal(text(await store.get('k')), 'changed elsewhere');
    } finally {
      await world.close();
    }
  });

  it("another process's heartbeat gives a lag reading and drops nothing", async () => {
    const world = new World();
    try {
      const quiet = await world.start();
      await world.start({ heartbeat: { interval: 1_000, timeout: 3_000 } });
      await quiet.store.set('k', bytes('v'), 60_000);
      const before = quiet.store.stats();
      await elapse(world, 1_000);
      const after = quiet.store.stats();
      assert.ok(after.messagesReceived > before.messagesReceived);
      assert.equal(after.invalidationsApplied, 0);
      assert.equal(after.lastLagMs, 0);
      assert.ok(quiet.store.l1.get('k') !== undefined);
    } finally {
      await world.close();
    }
  });
});
