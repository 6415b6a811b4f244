/**
 * The suspect state: the first unhealthy L2 failure takes L1 out of service at
 * once, without waiting for the heartbeat, and only proof that the bus works
 * after the failure brings it back. Fake clock and mocked timers throughout.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { LarderError } from '../../core/errors.js';
import { bytes, type ProcessOptions, settle, text, World } from './test-support/tiered-fixture.js';

const HEARTBEAT = { interval: 1_000, timeout: 5_000 } as const;
const timeout = (): LarderError => new LarderError('E_TIMEOUT', 'get timed out after 100 ms');

describe('suspicion', () => {
  let world: World;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    world = new World();
  });
  afterEach(async () => {
    await world.close();
    mock.timers.reset();
  });

  /** Move the fake clock and the mocked timers together. */
  async function elapse(ms: number): Promise<void> {
    for (let step = 0; step < ms; step += 100) {
      world.clock.advance(100);
      mock.timers.tick(100);
      await settle();
    }
  }

  /** A live store with `k` in L1. */
  async function started(options: ProcessOptions = { heartbeat: HEARTBEAT }) {
    const spawned = await world.start(options);
    await spawned.store.set('k', bytes('v'), 60_000);
    assert.ok(spawned.store.l1.get('k') !== undefined);
    return spawned;
  }

  it('noteFailure quarantines L1 at once, long before the heartbeat would', async () => {
    const { store, bus } = await started();
    bus.hold(); // the probe's echo waits
    store.noteFailure(timeout());
    const stats = store.stats();
    assert.equal(stats.l1, 'quarantined');
    assert.equal(stats.quarantines, 1);
    assert.equal(stats.suspicions, 1);
    assert.equal(stats.heartbeatTimeouts, 0);
    assert.equal(store.l1.size, 0, 'emptied');
    assert.ok(store.get('k') instanceof Promise, 'read from L2');
    await settle();
    assert.equal(store.l1.size, 0, 'nothing filled while suspect');
    bus.release(); // the probe, sent on the failure, comes back
    await settle();
    assert.equal(store.stats().l1, 'live');
    assert.equal(text(await store.get('k')), 'v');
    assert.ok(!(store.get('k') instanceof Promise), 'an L1 hit again');
  });

  it('an echo of a message sent before the failure is no proof; the next heartbeat is', async () => {
    const { store, bus } = await started();
    bus.hold();
    await elapse(1_000); // a heartbeat goes out, its echo held
    world.clock.advance(1);
    bus.failPublishes = true; // the probe sent on the failure is lost
    store.noteFailure(timeout());
    await settle();
    bus.failPublishes = false;
    bus.release(); // the old heartbeat's echo arrives now
    await settle();
    assert.equal(store.stats().l1, 'quarantined', 'an echo from before the failure');
    await elapse(1_000); // the next heartbeat, sent after the failure
    assert.equal(store.stats().l1, 'live');
    assert.equal(store.stats().heartbeatTimeouts, 0);
  });

  it('each failure needs its own proof: a later failure outlives an earlier probe', async () => {
    const { store, bus } = await started();
    bus.hold();
    store.noteFailure(timeout()); // probe 1, held
    world.clock.advance(1);
    store.noteFailure(timeout()); // probe 1 is still in flight: no second one
    bus.release();
    await settle();
    assert.equal(store.stats().l1, 'quarantined');
    assert.equal(store.stats().suspicions, 1, 'one suspicion, renewed');
    await elapse(1_000);
    assert.equal(store.stats().l1, 'live');
  });

  it('a fill in flight across a suspicion does not land', async () => {
    const { store, bus } = await started();
    await world.l2.set('f', bytes('old'), 60_000);
    world.l2.holdReads();
    const read = store.get('f');
    bus.hold();
    store.noteFailure(timeout());
    await world.l2.inner.set('f', bytes('new'), 60_000); // a write this process may have missed
    bus.release();
    await settle();
    assert.equal(store.stats().l1, 'live');
    world.l2.releaseReads();
    assert.equal(text(await read), 'old');
    assert.equal(store.l1.get('f'), undefined);
    assert.equal(text(await store.get('f')), 'new');
  });

  it('an L2 write that the store sees fail unhealthy quarantines too; an OOM refusal does not', async () => {
    const { store, bus } = await started();
    const set = world.l2.set;
    world.l2.set = () => Promise.reject(new LarderError('E_STORE_OOM', 'OOM command not allowed'));
    await assert.rejects(store.set('x', bytes('x'), 60_000), { code: 'E_STORE_OOM' });
    assert.equal(store.stats().l1, 'live', 'an answer from a healthy server');
    world.l2.set = set;
    bus.hold();
    world.l2.failing = true;
    await assert.rejects(store.set('x', bytes('x'), 60_000), { code: 'E_STORE' });
    assert.equal(store.stats().l1, 'quarantined');
    assert.equal(store.stats().suspicions, 1);
    world.l2.failing = false;
    bus.release();
    await settle();
    assert.equal(store.stats().l1, 'live');
  });

  it('an L2 read that the store sees fail quarantines', async () => {
    const { store, bus } = await started();
    bus.hold();
    world.l2.failing = true;
    await assert.rejects(Promise.resolve(store.get('missing')), { code: 'E_STORE' });
    assert.equal(store.stats().l1, 'quarantined');
    world.l2.failing = false;
    bus.release();
    await settle();
    assert.equal(store.stats().l1, 'live');
  });

  it('a failed publish of an invalidation quarantines', async () => {
    const { store, bus } = await started();
    bus.failPublishes = true;
    await store.set('k', bytes('v2'), 60_000); // lands in L2; its message is queued for retry
    assert.equal(store.stats().l1, 'quarantined');
    assert.equal(store.stats().suspicions, 1);
    bus.failPublishes = false;
    await elapse(1_000);
    assert.equal(store.stats().l1, 'live');
  });

  it('heartbeat off: a probe sent after the failure must succeed while subscribed; retried with backoff', async () => {
    const { store, bus } = await started({
      heartbeat: false,
      retry: { initialDelay: 100, maxDelay: 1_000 },
      random: () => 1,
    });
    bus.failPublishes = true;
    store.noteFailure(timeout());
    await settle();
    assert.equal(store.stats().l1, 'quarantined');
    await elapse(300); // probes at +100 and +300 fail too (backoff 100, 200)
    assert.equal(store.stats().l1, 'quarantined');
    bus.failPublishes = false;
    await elapse(400); // the next probe, at +700, succeeds
    assert.equal(store.stats().l1, 'live');
    assert.equal(store.stats().quarantines, 1);
    // With a healthy bus, suspicion lasts one round trip.
    store.noteFailure(timeout());
    assert.equal(store.stats().l1, 'quarantined');
    await settle();
    assert.equal(store.stats().l1, 'live');
  });

  it('heartbeat off: the subscription coming back is no proof by itself', async () => {
    const { store, bus } = await started({
      heartbeat: false,
      retry: { initialDelay: 100, maxDelay: 100 },
      random: () => 1,
    });
    bus.down();
    store.noteFailure(timeout());
    await elapse(300); // probes fail while the connection is down
    bus.up();
    assert.equal(store.stats().l1, 'quarantined', 'subscribed, but no round trip since the failure');
    await elapse(200); // the next probe succeeds
    assert.equal(store.stats().l1, 'live');
  });
});
