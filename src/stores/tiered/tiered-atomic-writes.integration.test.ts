/**
 * A tiered store on Redis writes in one round trip: the L2 write and its
 * invalidation leave in one request (`writeAndPublish`: one EXEC or one
 * script), counted on the wire by a relay in front of a private
 * redis-server, and another store (another process, as far as Redis can tell:
 * its own connections and origin) drops the key from its L1. With a bus
 * passed in, the same write takes two round trips: the count can tell.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import type { Bus } from '../../core/store.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/traffic.js';
import { redisStore } from '../redis/index.js';
import { startWireRelay, type WireRelay } from '../redis/test-support/wire-relay.js';
import { type TieredStore, tieredStore } from './index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every write kind a tiered store sends to L2, on `key` (a batch also on `${key}:2`). */
const WRITES: ReadonlyArray<readonly [string, (store: TieredStore, key: string) => Promise<unknown>]> = [
  ['set', (store, key) => store.set(key, bytes('new'), 60_000)],
  ['add', (store, key) => store.add(key, bytes('new'), 60_000)],
  ['delete', (store, key) => store.delete(key)],
  ['incrBy', async (store, key) => store.incrBy?.(key, 1)],
  ['touch', async (store, key) => store.touch?.(key, 30_000)],
  [
    'setMany',
    (store, key) =>
      store.setMany([
        { key, value: bytes('a'), ttlMs: 60_000 },
        { key: `${key}:2`, value: bytes('b'), ttlMs: 60_000 },
      ]),
  ],
  ['deleteMany', (store, key) => store.deleteMany([key, `${key}:2`])],
];

describe('tiered store writes on Redis (private redis-server)', () => {
  const channel = 'larder-test:tiered-atomic';
  let server: RedisServer;
  let relay: WireRelay;
  let admin: ReturnType<typeof createClient>;
  let writer: TieredStore;
  let reader: TieredStore;

  async function commandCalls(): Promise<Map<string, number>> {
    const info = await admin.info('commandstats');
    return new Map(
      [...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map(([, name, calls]) => [
        name as string,
        Number(calls),
      ]),
    );
  }

  /** `key` in L2 and in the reader's L1 (for add: in the reader's L1 only, as after an eviction). */
  async function held(key: string, kind: string): Promise<void> {
    await admin.set(key, '1', { PX: 60_000 });
    await reader.get(key);
    assert.ok(reader.l1.get(key) !== undefined, `${key} in the reader's L1`);
    if (kind === 'add') await admin.del(key);
  }

  before(async () => {
    server = await startRedisServer();
    relay = await startWireRelay(server.port);
    admin = createClient({ url: server.url });
    admin.on('error', () => {});
    await admin.connect();
    // Heartbeats off: each one is a PUBLISH of its own on the wire.
    writer = tieredStore({
      l2: redisStore({ url: `redis://127.0.0.1:${relay.port}` }),
      channel,
      heartbeat: false,
    });
    reader = tieredStore({ l2: redisStore({ url: server.url }), channel, heartbeat: false });
    await Promise.all([writer.ready(), reader.ready()]);
    // Load the scripts, so that no NOSCRIPT retry shows up in the counts below.
    for (const [kind, write] of WRITES) {
      await held(`warm:${kind}`, kind);
      await write(writer, `warm:${kind}`);
    }
  });

  after(async () => {
    await Promise.all([writer?.close(), reader?.close()]);
    admin?.destroy();
    await relay?.close();
    await server?.stop();
  });

  for (const [kind, write] of WRITES) {
    it(`${kind}: one round trip, one EXEC or script, and the other store drops the key from its L1`, async () => {
      const key = `k:${kind}`;
      await held(key, kind);
      await admin.configResetStat();
      relay.reset();
      await write(writer, key);
      assert.equal(relay.roundTrips(), 1, 'the write and its invalidation left in one request');
      const calls = await commandCalls();
      assert.equal((calls.get('exec') ?? 0) + (calls.get('evalsha') ?? 0), 1, 'one EXEC or one script');
      assert.equal(calls.get('publish'), 1, 'one message');
      await waitFor(() => reader.l1.get(key) === undefined, 2_000, `the reader to drop ${key}`);
      assert.equal(reader.stats().invalidationsApplied > 0, true);
    });
  }

  it('with a bus passed in, which L2 cannot publish on, a set takes two round trips (write, then publish)', async () => {
    const l2 = redisStore({ url: `redis://127.0.0.1:${relay.port}` });
    // The same connection underneath, but not L2's own bus object.
    const bus: Bus = {
      publish: (name, message) => l2.bus.publish(name, message),
      subscribe: (name, handlers) => l2.bus.subscribe(name, handlers),
    };
    const twoStep = tieredStore({ l2, bus, channel, heartbeat: false });
    try {
      await twoStep.ready();
      await held('k:two-step', 'set');
      await admin.configResetStat();
      relay.reset();
      await twoStep.set('k:two-step', bytes('new'), 60_000);
      assert.equal(relay.roundTrips(), 2);
      assert.equal((await commandCalls()).get('exec') ?? 0, 0);
      await waitFor(() => reader.l1.get('k:two-step') === undefined, 2_000, 'the reader to drop the key');
    } finally {
      await twoStep.close();
    }
  });
});
