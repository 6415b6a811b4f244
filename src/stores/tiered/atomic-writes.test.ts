/**
 * The tiered store on an L2 that publishes with its writes (`writeAndPublish`,
 * as Redis does): each write is one L2 call that also carries the
 * invalidation, with the same answers and the same effect on every L1 as the
 * two-step path; the two-step path stays for a bus L2 does not carry.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { decodeInvalidation } from './invalidation-message.js';
import { atomicStore } from './test-support/atomic-store.js';
import { bytes, type SimulatedProcess, settle, text, World } from './test-support/tiered-fixture.js';
import { tieredStore } from './tiered-store.js';

/** Calls of the shared L2 by name, apart from reads. */
function writeCalls(world: World): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const [name, count] of world.l2.calls) if (name !== 'get' && name !== 'ttl') calls[name] = count;
  return calls;
}

/** Put `keys` into L2 and into `reader`'s L1. */
async function fill(world: World, reader: SimulatedProcess, ...keys: string[]): Promise<void> {
  for (const key of keys) await world.l2.inner.set(key, bytes('1'), 60_000);
  for (const key of keys) await reader.store.get(key);
  for (const key of keys) assert.ok(reader.store.l1.get(key) !== undefined, `${key} in the reader's L1`);
}

/** Every write kind, with what it must answer. */
const WRITES = [
  { name: 'set', keys: ['s'], run: (p: SimulatedProcess) => p.store.set('s', bytes('v'), 60_000) },
  {
    name: 'add',
    keys: ['a'],
    prepare: 'absent',
    run: (p: SimulatedProcess) => p.store.add('a', bytes('v'), 60_000),
  },
  { name: 'delete', keys: ['d'], run: (p: SimulatedProcess) => p.store.delete('d') },
  { name: 'incrBy', keys: ['i'], run: (p: SimulatedProcess) => p.store.incrBy?.('i', 2) },
  { name: 'touch', keys: ['t'], run: (p: SimulatedProcess) => p.store.touch?.('t', 1_000) },
  {
    name: 'setMany',
    keys: ['m1', 'm2'],
    run: (p: SimulatedProcess) =>
      p.store.setMany([
        { key: 'm1', value: bytes('x'), ttlMs: 60_000 },
        { key: 'm2', value: bytes('y'), ttlMs: null },
      ]),
  },
  { name: 'deleteMany', keys: ['n1', 'n2'], run: (p: SimulatedProcess) => p.store.deleteMany(['n1', 'n2']) },
] as const;

describe('tieredStore on an L2 with writeAndPublish', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });
  afterEach(() => world.close());

  for (const write of WRITES) {
    it(`${write.name}: one writeAndPublish, one message naming the keys, the plain answer, and other L1s drop the keys`, async () => {
      // The same write on the two-step path, for the expected answer.
      const plainWorld = new World();
      let expected: unknown;
      try {
        const plainWriter = await plainWorld.start();
        const plainReader = await plainWorld.start();
        await fill(plainWorld, plainReader, ...write.keys);
        if ('prepare' in write) for (const key of write.keys) plainWorld.l2.inner.delete(key);
        expected = await write.run(plainWriter);
      } finally {
        await plainWorld.close();
      }

      const writer = await world.start({ atomic: true });
      const reader = await world.start();
      await fill(world, reader, ...write.keys);
      if ('prepare' in write) for (const key of write.keys) world.l2.inner.delete(key);
      world.l2.calls.clear();
      assert.deepEqual(await write.run(writer), expected, 'the answer of the two-step path');
      assert.deepEqual(writeCalls(world), { writeAndPublish: 1 }, 'one L2 call, no plain write');
      assert.equal(writer.bus.published.length, 1, 'one message, published by L2 with the write');
      const message = decodeInvalidation(writer.bus.published[0] ?? '');
      assert.deepEqual(message?.keys, write.keys);
      assert.equal(message?.sentAt, world.clock.now());
      await settle();
      for (const key of write.keys)
        assert.equal(reader.store.l1.get(key), undefined, `${key} dropped by the reader`);
      assert.equal(writer.store.stats().invalidationsApplied, 0, 'the writer ignores its own message');
    });
  }

  it('an add that found the key, a touch of a missing key and a failed incrBy publish nothing', async () => {
    const writer = await world.start({ atomic: true });
    const reader = await world.start();
    await fill(world, reader, 'present');
    assert.equal(await writer.store.add('present', bytes('v'), 60_000), 'exists');
    assert.equal(await writer.store.touch?.('missing', 1_000), false);
    await assert.rejects(Promise.resolve(writer.store.incrBy?.('missing', 1)), (error) =>
      isLarderError(error, 'E_MISSING_KEY'),
    );
    assert.equal(world.l2.calls.get('writeAndPublish'), 3);
    assert.deepEqual(writer.bus.published, []);
    await settle();
    assert.ok(reader.store.l1.get('present') !== undefined, 'nothing changed, nothing dropped');
  });

  it('writes through to its own L1 as on the two-step path, and skipL1 still publishes', async () => {
    const writer = await world.start({ atomic: true });
    await writer.store.set('k', bytes('v'), 60_000);
    assert.equal(text(writer.store.l1.get('k') as Uint8Array), 'v');
    await writer.store.set('skip', bytes('v'), 60_000, { skipL1: true });
    assert.equal(writer.store.l1.get('skip'), undefined);
    assert.equal(writer.bus.published.length, 2);
    await writer.store.set('l1only', bytes('v'), 60_000, { skipL2: true });
    assert.equal(world.l2.calls.get('writeAndPublish'), 2, 'skipL2 reaches no L2 at all');
  });

  it('an empty batch reaches neither L2 nor the bus through writeAndPublish', async () => {
    const writer = await world.start({ atomic: true });
    world.l2.calls.clear();
    assert.deepEqual(await writer.store.setMany([]), []);
    assert.equal(await writer.store.deleteMany([]), 0);
    assert.equal(world.l2.calls.get('writeAndPublish'), undefined);
    assert.deepEqual(writer.bus.published, []);
  });

  it('clear(prefix) stays two steps: L2 clear, then a publish of the prefix', async () => {
    const writer = await world.start({ atomic: true });
    const reader = await world.start();
    await fill(world, reader, 'p:1', 'q:1');
    world.l2.calls.clear();
    await writer.store.clear('p:');
    assert.deepEqual(writeCalls(world), { clear: 1 });
    assert.deepEqual(decodeInvalidation(writer.bus.published[0] ?? '')?.prefixes, ['p:']);
    await settle();
    assert.equal(reader.store.l1.get('p:1'), undefined);
    assert.ok(reader.store.l1.get('q:1') !== undefined);
  });

  it('a failed atomic write drops the key here and elsewhere: the invalidation goes through the retry queue', async () => {
    const writer = await world.start({ atomic: true });
    const reader = await world.start();
    await fill(world, reader, 'k');
    await writer.store.get('k');
    world.l2.failing = true;
    await assert.rejects(writer.store.set('k', bytes('new'), 60_000), (error) =>
      isLarderError(error, 'E_STORE'),
    );
    world.l2.failing = false;
    assert.equal(writer.store.l1.get('k'), undefined);
    await settle();
    assert.equal(
      reader.store.l1.get('k'),
      undefined,
      'announced by a plain publish, as the write may have landed',
    );
  });

  it('after a publish failure, the next atomic write sends the backlog at once instead of at its retry timer', async () => {
    // A retry timer far away: only the atomic write can send the backlog here.
    const writer = await world.start({ atomic: true, retry: { initialDelay: 60_000, maxDelay: 60_000 } });
    const reader = await world.start();
    await fill(world, reader, 'old', 'other');
    writer.bus.failPublishes = true;
    await assert.rejects(writer.store.delete('old'), (error) => isLarderError(error, 'E_STORE'));
    await settle();
    assert.equal(writer.store.stats().unpublishedKeys, 1, 'the invalidation of old waits for a retry');
    assert.ok(reader.store.l1.get('old') !== undefined);

    writer.bus.failPublishes = false;
    await writer.store.delete('other');
    await settle();
    assert.equal(writer.store.stats().unpublishedKeys, 0);
    assert.equal(reader.store.l1.get('old'), undefined, 'the backlog was sent right after');
    assert.equal(reader.store.l1.get('other'), undefined);
  });

  it('with a bus L2 does not carry, writes the two-step way: L2 write, then publish on that bus', async () => {
    const bus = world.network.connect();
    const l2 = atomicStore(world.l2, world.network.connect());
    const store = tieredStore({ l2, bus, heartbeat: false, clock: world.clock });
    try {
      await store.ready();
      world.l2.calls.clear();
      await store.set('k', bytes('v'), 60_000);
      assert.equal(await store.add('k', bytes('w'), 60_000), 'exists');
      await store.delete('k');
      assert.deepEqual(writeCalls(world), { set: 1, add: 1, delete: 1 });
      assert.equal(bus.published.length, 2, 'set and delete announced on the bus given');
      assert.deepEqual(l2.bus.published, []);
    } finally {
      await store.close();
    }
  });
});
