/**
 * `redisStore().writeAndPublish` on private redis-servers (so that command
 * counts are ours alone): every write kind answers what its plain method
 * answers, leaves the same data, runs as one EXEC or one script, and
 * publishes exactly one message when it changed something, none otherwise;
 * and a request cut before its EXEC leaves neither the write nor the message,
 * where the two-step write + PUBLISH leaves the write unannounced.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { isLarderError } from '../../core/errors.js';
import type { StoreWrite } from '../../core/store.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/traffic.js';
import { keySlot } from './key-slot.js';
import { type RedisStore, redisStore } from './redis-store.js';
import { startWireRelay } from './test-support/wire-relay.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
type Admin = ReturnType<typeof createClient>;

/** A settled call, comparable with deepEqual: its value, or its error code. */
async function outcome(call: () => Promise<unknown>): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    return { error: isLarderError(error) ? error.code : `not a LarderError: ${String(error)}` };
  }
}

/** Calls per command since the last CONFIG RESETSTAT. */
async function commandCalls(admin: Admin): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  return new Map(
    [...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map(([, name, calls]) => [
      name as string,
      Number(calls),
    ]),
  );
}

/**
 * A subscriber on `channel` (through another store, as another process would
 * listen) and a way to collect what it heard: `since()` publishes a fence and
 * returns what arrived before it. Redis queues a message for its subscribers
 * when it runs the PUBLISH, so every message published before the fence (its
 * reply already received) arrives before the fence.
 */
async function listen(listener: RedisStore, publisher: RedisStore, channel: string) {
  const heard: string[] = [];
  const subscription = await listener.bus.subscribe(channel, {
    message: (message) => heard.push(message),
    down: () => {},
    up: () => {},
  });
  let fences = 0;
  return {
    subscription,
    async since(): Promise<string[]> {
      const fence = `fence-${fences++}`;
      await publisher.bus.publish(channel, fence);
      await waitFor(() => heard.includes(fence), 2_000, `the fence ${fence}`);
      return heard.splice(0, heard.indexOf(fence) + 1).slice(0, -1);
    },
  };
}

/** One kind of write, run both ways on the same starting data. */
interface WriteCase {
  readonly name: string;
  /** The keys the case touches (a prefix is added per run). */
  readonly keys: readonly string[];
  readonly prepare?: (admin: Admin, keys: readonly string[]) => Promise<unknown>;
  readonly plain: (store: RedisStore, keys: readonly string[]) => Promise<unknown>;
  readonly write: (keys: readonly string[]) => StoreWrite;
  /** How the atomic path runs it, or undefined when it publishes nothing. */
  readonly via: 'exec' | 'evalsha' | undefined;
}

const one = ['k'];
const two = ['k1', 'k2'];
const k0 = (keys: readonly string[]): string => keys[0] as string;
const CASES: readonly WriteCase[] = [
  {
    name: 'set with a TTL',
    keys: one,
    plain: (s, [k]) => s.set(k as string, bytes('v'), 30_000),
    write: (keys) => ({ op: 'set', key: k0(keys), value: bytes('v'), ttlMs: 30_000 }),
    via: 'exec',
  },
  {
    name: 'set forever over a key with a TTL (drops the TTL)',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, 'old', { PX: 30_000 }),
    plain: (s, [k]) => s.set(k as string, bytes('v'), null),
    write: (keys) => ({ op: 'set', key: k0(keys), value: bytes('v'), ttlMs: null }),
    via: 'exec',
  },
  {
    name: 'add of an absent key',
    keys: one,
    plain: (s, [k]) => s.add(k as string, bytes('v'), 30_000),
    write: (keys) => ({ op: 'add', key: k0(keys), value: bytes('v'), ttlMs: 30_000 }),
    via: 'evalsha',
  },
  {
    name: 'add of a present key (no message)',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, 'old'),
    plain: (s, [k]) => s.add(k as string, bytes('v'), null),
    write: (keys) => ({ op: 'add', key: k0(keys), value: bytes('v'), ttlMs: null }),
    via: undefined,
  },
  {
    name: 'delete of a present key',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, 'old'),
    plain: (s, [k]) => s.delete(k as string),
    write: (keys) => ({ op: 'delete', key: k0(keys) }),
    via: 'evalsha',
  },
  {
    name: 'delete of an absent key (announced all the same)',
    keys: one,
    plain: (s, [k]) => s.delete(k as string),
    write: (keys) => ({ op: 'delete', key: k0(keys) }),
    via: 'evalsha',
  },
  {
    name: 'incrBy of a counter with a TTL (kept)',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, '41', { PX: 30_000 }),
    plain: (s, [k]) => s.incrBy(k as string, 1),
    write: (keys) => ({ op: 'incrBy', key: k0(keys), delta: 1 }),
    via: 'evalsha',
  },
  {
    name: 'incrBy of a missing key: E_MISSING_KEY, not created, no message',
    keys: one,
    plain: (s, [k]) => s.incrBy(k as string, 1),
    write: (keys) => ({ op: 'incrBy', key: k0(keys), delta: 1 }),
    via: undefined,
  },
  {
    name: 'incrBy of text: E_NOT_INTEGER, no message',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, '12abc'),
    plain: (s, [k]) => s.incrBy(k as string, 1),
    write: (keys) => ({ op: 'incrBy', key: k0(keys), delta: 1 }),
    via: undefined,
  },
  {
    name: 'incrBy past the largest safe integer: E_NOT_INTEGER, unchanged, no message',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, String(Number.MAX_SAFE_INTEGER)),
    plain: (s, [k]) => s.incrBy(k as string, 1),
    write: (keys) => ({ op: 'incrBy', key: k0(keys), delta: 1 }),
    via: undefined,
  },
  {
    name: 'incrBy of a list: E_WRONG_TYPE, no message',
    keys: one,
    prepare: (a, [k]) => a.lPush(k as string, 'x'),
    plain: (s, [k]) => s.incrBy(k as string, 1),
    write: (keys) => ({ op: 'incrBy', key: k0(keys), delta: 1 }),
    via: undefined,
  },
  {
    name: 'incrBy by a fraction: E_INVALID_OPTION, no message',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, '1'),
    plain: (s, [k]) => s.incrBy(k as string, 1.5),
    write: (keys) => ({ op: 'incrBy', key: k0(keys), delta: 1.5 }),
    via: undefined,
  },
  {
    name: 'touch of a present key to a TTL',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, 'v'),
    plain: (s, [k]) => s.touch(k as string, 30_000),
    write: (keys) => ({ op: 'touch', key: k0(keys), ttlMs: 30_000 }),
    via: 'evalsha',
  },
  {
    name: 'touch of a present key to forever',
    keys: one,
    prepare: (a, [k]) => a.set(k as string, 'v', { PX: 30_000 }),
    plain: (s, [k]) => s.touch(k as string, null),
    write: (keys) => ({ op: 'touch', key: k0(keys), ttlMs: null }),
    via: 'evalsha',
  },
  {
    name: 'touch of a missing key (no message)',
    keys: one,
    plain: (s, [k]) => s.touch(k as string, 30_000),
    write: (keys) => ({ op: 'touch', key: k0(keys), ttlMs: 30_000 }),
    via: undefined,
  },
  {
    name: 'setMany',
    keys: two,
    prepare: (a, [, k2]) => a.set(k2 as string, 'old', { PX: 30_000 }),
    plain: (s, [k1, k2]) =>
      s.setMany([
        { key: k1 as string, value: bytes('a'), ttlMs: 30_000 },
        { key: k2 as string, value: bytes('b'), ttlMs: null },
      ]),
    write: ([k1, k2]) => ({
      op: 'setMany',
      entries: [
        { key: k1 as string, value: bytes('a'), ttlMs: 30_000 },
        { key: k2 as string, value: bytes('b'), ttlMs: null },
      ],
    }),
    via: 'exec',
  },
  {
    name: 'setMany of nothing (no message)',
    keys: [],
    plain: (s) => s.setMany([]),
    write: () => ({ op: 'setMany', entries: [] }),
    via: undefined,
  },
  {
    name: 'deleteMany, one key present',
    keys: two,
    prepare: (a, [k1]) => a.set(k1 as string, 'old'),
    plain: (s, keys) => s.deleteMany(keys),
    write: (keys) => ({ op: 'deleteMany', keys }),
    via: 'evalsha',
  },
  {
    name: 'deleteMany of nothing (no message)',
    keys: [],
    plain: (s) => s.deleteMany([]),
    write: () => ({ op: 'deleteMany', keys: [] }),
    via: undefined,
  },
];

/** What the server holds under `keys`: type, value and whether a TTL is set. */
async function dataOf(admin: Admin, keys: readonly string[]): Promise<unknown[]> {
  return Promise.all(
    keys.map(async (key) => {
      const type = await admin.type(key);
      const pttl = await admin.pTTL(key);
      const value = type === 'string' ? await admin.get(key) : type;
      return { type, value, ttl: pttl === -2 ? 'absent' : pttl === -1 ? 'forever' : 'expires' };
    }),
  );
}

describe('redisStore.writeAndPublish (private redis-server)', () => {
  const channel = 'larder-test:write-and-publish';
  let server: RedisServer;
  let store: RedisStore;
  let listener: RedisStore;
  let admin: Admin;
  let heard: Awaited<ReturnType<typeof listen>>;

  before(async () => {
    server = await startRedisServer();
    store = redisStore({ url: server.url });
    listener = redisStore({ url: server.url });
    admin = createClient({ url: server.url });
    admin.on('error', () => {});
    await Promise.all([store.ready(), listener.ready(), admin.connect()]);
    heard = await listen(listener, store, channel);
    // Load the scripts, so that each case below is one EVALSHA (the NOSCRIPT
    // fallback has a test of its own).
    await store.writeAndPublish(
      { op: 'add', key: 'warm', value: bytes('1'), ttlMs: null },
      { channel, message: 'w' },
    );
    await store.writeAndPublish({ op: 'incrBy', key: 'warm', delta: 1 }, { channel, message: 'w' });
    await store.writeAndPublish({ op: 'touch', key: 'warm', ttlMs: null }, { channel, message: 'w' });
    await store.writeAndPublish({ op: 'delete', key: 'warm' }, { channel, message: 'w' });
    await heard.since();
  });

  after(async () => {
    await heard?.subscription.close();
    admin?.destroy();
    await Promise.all([store?.close(), listener?.close()]);
    await server?.stop();
  });

  for (const [index, testCase] of CASES.entries()) {
    it(`${testCase.name}: the plain method's answer and data, one ${testCase.via ?? 'call'}, ${testCase.via === undefined ? 'no message' : 'one message'}`, async () => {
      const plainKeys = testCase.keys.map((key) => `plain:${index}:${key}`);
      const atomicKeys = testCase.keys.map((key) => `atomic:${index}:${key}`);
      await testCase.prepare?.(admin, plainKeys);
      await testCase.prepare?.(admin, atomicKeys);
      const expected = await outcome(() => testCase.plain(store, plainKeys));
      assert.deepEqual(await heard.since(), [], 'the plain method publishes nothing');

      const message = `case-${index}`;
      await admin.configResetStat();
      const got = await outcome(() =>
        store.writeAndPublish(testCase.write(atomicKeys), { channel, message }),
      );
      const calls = await commandCalls(admin);
      const published = await heard.since();

      assert.deepEqual(got, expected, 'the same answer as the plain method');
      assert.deepEqual(await dataOf(admin, atomicKeys), await dataOf(admin, plainKeys), 'the same data');
      if (testCase.via === undefined) {
        assert.deepEqual(published, []);
        assert.equal(calls.get('publish') ?? 0, 0);
      } else {
        assert.deepEqual(published, [message]);
        assert.equal(calls.get('publish'), 1);
        assert.equal(calls.get(testCase.via), 1, `one ${testCase.via}`);
        assert.equal(calls.get('exec') ?? 0, testCase.via === 'exec' ? 1 : 0);
      }
    });
  }

  it('deleteMany of more keys than one UNLINK inside the script takes', async () => {
    const keys = Array.from({ length: 2_500 }, (_, i) => `bulk:${i}`);
    await store.setMany(keys.map((key) => ({ key, value: bytes('v'), ttlMs: 30_000 })));
    assert.equal(
      await store.writeAndPublish(
        { op: 'deleteMany', keys: [...keys, 'bulk:absent'] },
        { channel, message: 'bulk' },
      ),
      2_500,
    );
    assert.equal(await admin.exists(keys), 0);
    assert.deepEqual(await heard.since(), ['bulk']);
  });

  it('falls back to EVAL after SCRIPT FLUSH, publishing each message once', async () => {
    const notice = (message: string) => ({ channel, message });
    await admin.scriptFlush();
    assert.equal(
      await store.writeAndPublish(
        { op: 'add', key: 'flushed', value: bytes('1'), ttlMs: null },
        notice('add'),
      ),
      'stored',
    );
    await admin.scriptFlush();
    assert.equal(
      await store.writeAndPublish({ op: 'incrBy', key: 'flushed', delta: 2 }, notice('incrBy')),
      3,
    );
    await admin.scriptFlush();
    assert.equal(
      await store.writeAndPublish({ op: 'touch', key: 'flushed', ttlMs: 5_000 }, notice('touch')),
      true,
    );
    await admin.scriptFlush();
    assert.equal(await store.writeAndPublish({ op: 'delete', key: 'flushed' }, notice('delete')), true);
    assert.deepEqual(await heard.since(), ['add', 'incrBy', 'touch', 'delete']);
  });

  it('with splitBySlot: a batch in one slot is one EXEC; across slots it is written per slot, then published', async () => {
    const sliced = redisStore({ url: server.url, splitBySlot: true });
    try {
      await sliced.ready();
      const tagged = ['{t}a', '{t}b', '{t}c'];
      const spread = Array.from({ length: 20 }, (_, i) => `spread:${i}`);
      assert.ok(new Set(spread.map((key) => keySlot(key))).size > 1);
      const entries = (keys: readonly string[]) =>
        keys.map((key) => ({ key, value: bytes(key), ttlMs: 30_000 }));

      await admin.configResetStat();
      assert.deepEqual(
        await sliced.writeAndPublish(
          { op: 'setMany', entries: entries(tagged) },
          { channel, message: 'one slot' },
        ),
        [true, true, true],
      );
      assert.equal((await commandCalls(admin)).get('exec'), 1);

      await admin.configResetStat();
      assert.deepEqual(
        await sliced.writeAndPublish(
          { op: 'setMany', entries: entries(spread) },
          { channel, message: 'set spread' },
        ),
        spread.map(() => true),
      );
      assert.equal(
        await sliced.writeAndPublish(
          { op: 'deleteMany', keys: [...spread, 'absent'] },
          { channel, message: 'del spread' },
        ),
        20,
      );
      const calls = await commandCalls(admin);
      assert.equal(calls.get('exec') ?? 0, 0, 'not one transaction');
      assert.equal(calls.get('publish'), 2);
      assert.equal(await admin.get('{t}b'), '{t}b');
      assert.equal(await admin.exists(spread), 0);
      assert.deepEqual(await heard.since(), ['one slot', 'set spread', 'del spread']);
    } finally {
      await sliced.close();
    }
  });

  it('a request cut before its EXEC leaves neither the write nor the message; the two-step path leaves the write unannounced', async () => {
    const relay = await startWireRelay(server.port);
    const writer = redisStore({
      url: `redis://127.0.0.1:${relay.port}`,
      reconnect: { initialDelay: 10, maxDelay: 50 },
    });
    try {
      await writer.ready();
      await admin.set('cut', 'old');

      // The naive order (what a tiered store does without writeAndPublish): the
      // writer dies after its SET was answered, before its PUBLISH.
      await writer.set('cut', bytes('two-step'), null);
      relay.cutBefore('*3\r\n$7\r\nPUBLISH\r\n');
      await assert.rejects(writer.bus.publish(channel, 'two-step'), (error) =>
        isLarderError(error, 'E_STORE'),
      );
      await relay.cut();
      assert.equal(await admin.get('cut'), 'two-step', 'the write landed');
      assert.deepEqual(await heard.since(), [], '...and nobody was told');

      // Atomic: cut after MULTI, SET and PUBLISH reached the server, before EXEC.
      await writer.ready();
      relay.cutBefore('*1\r\n$4\r\nEXEC\r\n');
      await assert.rejects(
        writer.writeAndPublish(
          { op: 'set', key: 'cut', value: bytes('atomic'), ttlMs: null },
          { channel, message: 'atomic' },
        ),
        (error) => isLarderError(error, 'E_STORE'),
      );
      await relay.cut();
      assert.equal(await admin.get('cut'), 'two-step', 'the server discarded the write');
      assert.deepEqual(await heard.since(), [], 'and its message');

      // The writer reconnects and the same call then goes through whole.
      await writer.ready();
      await writer.writeAndPublish(
        { op: 'set', key: 'cut', value: bytes('atomic'), ttlMs: null },
        { channel, message: 'atomic' },
      );
      assert.equal(await admin.get('cut'), 'atomic');
      assert.deepEqual(await heard.since(), ['atomic']);
    } finally {
      await writer.close();
      await relay.close();
    }
  });
});

describe('redisStore.writeAndPublish refused for memory (maxmemory with noeviction)', () => {
  let server: RedisServer;
  let store: RedisStore;

  before(async () => {
    server = await startRedisServer({ args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
    store = redisStore({ url: server.url });
    await store.ready();
  });

  after(async () => {
    await store?.close();
    await server?.stop();
  });

  it('rejects set, add and setMany with E_STORE_OOM and publishes nothing; deletes still go through', async () => {
    const channel = 'oom';
    const heard: string[] = [];
    const subscription = await store.bus.subscribe(channel, {
      message: (message) => heard.push(message),
      down: () => {},
      up: () => {},
    });
    const chunk = Buffer.alloc(16 * 1024, 7);
    let refused: unknown;
    for (let i = 0; i < 1000 && refused === undefined; i++) {
      await store.set(`fill:${i}`, chunk, null).catch((error: unknown) => {
        refused = error;
      });
    }
    assert.ok(isLarderError(refused, 'E_STORE_OOM'), `got ${String(refused)}`);
    const notice = { channel, message: 'refused' };
    const oom = (error: unknown): boolean => isLarderError(error, 'E_STORE_OOM');
    await assert.rejects(
      store.writeAndPublish({ op: 'set', key: 'x', value: chunk, ttlMs: 1000 }, notice),
      oom,
    );
    await assert.rejects(
      store.writeAndPublish({ op: 'add', key: 'x', value: chunk, ttlMs: 1000 }, notice),
      oom,
    );
    await assert.rejects(
      store.writeAndPublish(
        {
          op: 'setMany',
          entries: [
            { key: 'y', value: chunk, ttlMs: 1000 },
            { key: 'z', value: chunk, ttlMs: 1000 },
          ],
        },
        notice,
      ),
      oom,
    );
    assert.equal(await store.has('x'), false);
    await store.bus.publish(channel, 'fence');
    await waitFor(() => heard.includes('fence'), 2_000, 'the fence');
    assert.deepEqual(heard, ['fence']);
    // Deletes still work on a full server (as a plain UNLINK does, where a
    // MULTI would be refused), and are announced. The first one frees nothing.
    assert.equal(
      await store.writeAndPublish({ op: 'delete', key: 'absent' }, { channel, message: 'freed' }),
      false,
    );
    assert.equal(
      await store.writeAndPublish(
        { op: 'deleteMany', keys: ['fill:0', 'absent'] },
        { channel, message: 'freed 2' },
      ),
      1,
    );
    await waitFor(() => heard.includes('freed 2'), 2_000, 'the delete messages');
    assert.deepEqual(heard, ['fence', 'freed', 'freed 2']);
    await subscription.close();
  });

  it('rejects with E_STORE when Redis cannot be reached', async () => {
    const relay = await startWireRelay(server.port);
    const port = relay.port;
    await relay.close();
    const down = redisStore({ url: `redis://127.0.0.1:${port}`, reconnect: false });
    try {
      await assert.rejects(
        down.writeAndPublish(
          { op: 'set', key: 'x', value: bytes('v'), ttlMs: null },
          { channel: 'c', message: 'm' },
        ),
        (error) => isLarderError(error, 'E_STORE'),
      );
      await assert.rejects(
        down.writeAndPublish(
          { op: 'add', key: 'x', value: bytes('v'), ttlMs: null },
          { channel: 'c', message: 'm' },
        ),
        (error) => isLarderError(error, 'E_STORE'),
      );
    } finally {
      await down.close();
    }
  });
});
