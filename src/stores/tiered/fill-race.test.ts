/**
 * The fill race: a process misses L1 and reads the OLD value from L2; meanwhile
 * a write lands in L2 and its invalidation reaches the process before the L2
 * reply does. Filling L1 with that reply would serve the old value until the L1
 * TTL ends. Each scenario runs twice: with the real tracker (no stale value)
 * and with a tracker that sees nothing, the naive version, to show that the
 * harness really produces the race.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidationTracker } from './invalidation-tracker.js';
import { bytes, type ProcessOptions, settle, text, World } from './test-support/tiered-fixture.js';

/** The naive version: fills whatever L2 answered. */
class BlindTracker extends InvalidationTracker {
  override changedSince(): boolean {
    return false;
  }
}

const naive = (): ProcessOptions => ({ tracker: new BlindTracker(10_000) });

/** Another process writes while this one's L2 read is in flight; resolves what this one serves next. */
async function remoteWriteDuringRead(options: ProcessOptions = {}): Promise<string | undefined> {
  const world = new World();
  try {
    const reader = await world.start(options);
    const writer = await world.start();
    await world.l2.set('k', bytes('old'), 60_000);
    world.l2.holdReads();
    const read = reader.store.get('k'); // L2 answers 'old' now; the reply is held
    await writer.store.set('k', bytes('new'), 60_000);
    await settle(); // the invalidation reaches the reader first
    assert.equal(reader.store.stats().invalidationsApplied, 1);
    world.l2.releaseReads();
    assert.equal(text(await read), 'old', 'the racing read itself may answer the old value');
    return text(await reader.store.get('k'));
  } finally {
    await world.close();
  }
}

/** This process writes while its own read is in flight. */
async function localWriteDuringRead(options: ProcessOptions = {}): Promise<string | undefined> {
  const world = new World();
  try {
    const { store } = await world.start(options);
    await world.l2.set('k', bytes('old'), 60_000);
    world.l2.holdReads();
    const read = store.get('k');
    await store.set('k', bytes('new'), 60_000); // L2, then written through to L1
    world.l2.releaseReads();
    await read;
    return text(await store.get('k'));
  } finally {
    await world.close();
  }
}

/** A prefix clear elsewhere while the read is in flight. */
async function remoteClearDuringRead(options: ProcessOptions = {}): Promise<string | undefined> {
  const world = new World();
  try {
    const reader = await world.start(options);
    const writer = await world.start();
    await world.l2.set('p:k', bytes('old'), 60_000);
    world.l2.holdReads();
    const read = reader.store.get('p:k');
    await writer.store.clear('p:');
    await settle();
    world.l2.releaseReads();
    await read;
    return text(await reader.store.get('p:k'));
  } finally {
    await world.close();
  }
}

describe('fill race', () => {
  it('a remote write whose invalidation beats the L2 reply: the old value is not filled', async () => {
    assert.equal(await remoteWriteDuringRead(), 'new');
  });

  it('the naive fill (no tracking) serves the old value: the harness sees the race', async () => {
    assert.equal(await remoteWriteDuringRead(naive()), 'old');
  });

  it("a local write during the process's own read: the late reply does not overwrite it", async () => {
    assert.equal(await localWriteDuringRead(), 'new');
    assert.equal(await localWriteDuringRead(naive()), 'old', 'naive');
  });

  it('a prefix clear during the read: the old value is not filled', async () => {
    assert.equal(await remoteClearDuringRead(), undefined);
    assert.equal(await remoteClearDuringRead(naive()), 'old', 'naive');
  });

  it('getMany: a key invalidated during the batch is not filled, the others are', async () => {
    const world = new World();
    try {
      const reader = await world.start();
      const writer = await world.start();
      await world.l2.set('a', bytes('old-a'), 60_000);
      await world.l2.set('b', bytes('b'), 60_000);
      world.l2.holdReads();
      const read = reader.store.getMany(['a', 'b']);
      await writer.store.set('a', bytes('new-a'), 60_000);
      await settle();
      world.l2.releaseReads();
      await read;
      assert.equal(reader.store.l1.get('a'), undefined);
      assert.equal(text(reader.store.l1.get('b') as Uint8Array), 'b');
      assert.equal(reader.store.stats().fillsSkipped, 1);
    } finally {
      await world.close();
    }
  });

  it('two local writes whose L2 replies come back in the opposite order leave no L1 copy to doubt', async () => {
    const world = new World();
    try {
      const { store } = await world.start();
      // Hold the first write's reply until the second has settled.
      const set = world.l2.set;
      let releaseFirst: () => void = () => {};
      world.l2.set = (key, value, ttlMs) =>
        text(value) === 'first'
          ? new Promise<void>((resolve) => {
              releaseFirst = () => resolve(set(key, value, ttlMs) as Promise<void>);
            })
          : set(key, value, ttlMs);
      const first = store.set('k', bytes('first'), 60_000);
      await store.set('k', bytes('second'), 60_000);
      // The first write may still land after it (it does here): no copy while it is in flight.
      assert.equal(store.l1.get('k'), undefined);
      releaseFirst();
      await first;
      // L2 now holds 'first' (it landed last); L1 must not claim 'second'.
      assert.equal(store.l1.get('k'), undefined);
      assert.equal(text(await store.get('k')), 'first');
    } finally {
      await world.close();
    }
  });
});
