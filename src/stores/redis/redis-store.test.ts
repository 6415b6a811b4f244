/**
 * The Redis store against a fake client: how it drives node-redis (bound
 * command options, listeners, lifecycle) and how it shapes replies and errors,
 * without a server. The real server is in the `.integration.test.ts` files.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { ErrorReply, SocketClosedUnexpectedlyError } from 'redis';
import { isLarderError } from '../../core/errors.js';
import { mapped } from '../../test-support/mapped.js';
import { keySlot } from './key-slot.js';
import type { RedisArgument, RedisClientLike, RedisCommandOptions } from './redis-client-like.js';
import { redisStore } from './redis-store.js';

type Reply = unknown;

/** A node-redis stand-in that records commands and answers from `respond`. */
class FakeClient extends EventEmitter implements RedisClientLike {
  isOpen = true;
  isReady = true;
  readonly sent: Array<{ args: readonly RedisArgument[]; options: RedisCommandOptions | undefined }> = [];
  respond: (args: readonly RedisArgument[]) => Reply = () => null;
  connects = 0;
  closes = 0;
  destroys = 0;

  sendCommand<T>(args: readonly RedisArgument[], options?: RedisCommandOptions): Promise<T> {
    this.sent.push({ args, options });
    try {
      const reply = this.respond(args);
      return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply as T);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  withCommandOptions(options: RedisCommandOptions): RedisClientLike {
    const view = Object.create(this) as FakeClient;
    view.sendCommand = <T>(args: readonly RedisArgument[]) => this.sendCommand<T>(args, options);
    return view;
  }

  duplicate(): never {
    throw new Error('FakeClient: no subscriber connection');
  }

  connect(): Promise<unknown> {
    this.connects++;
    return Promise.resolve(this);
  }

  close(): Promise<unknown> {
    this.closes++;
    return Promise.resolve();
  }

  destroy(): void {
    this.destroys++;
  }
}

const bytes = (text: string): Buffer => Buffer.from(text);

describe('redisStore (fake client)', () => {
  it('sends every command with its bound options: Buffer replies, no node-redis timeout', async () => {
    const client = new FakeClient();
    client.respond = (args) => {
      const command = String(args[0]);
      if (command === 'SET') return 'OK';
      if (command === 'MGET') return args.slice(1).map(() => null);
      if (command === 'SCAN') return [bytes('0'), []];
      if (command === 'EVALSHA') return 1;
      return 0;
    };
    const store = redisStore({ client });
    await store.get('k');
    await store.set('k', bytes('v'), 1000);
    await store.add('k', bytes('v'), 1000);
    await store.delete('k');
    await store.has('k');
    await store.touch('k', 1000);
    await store.touch('k', null);
    await store.ttl('k');
    await store.incrBy('k', 1);
    await store.getMany(['a', 'b']);
    await store.setMany([{ key: 'a', value: bytes('1'), ttlMs: null }]);
    await store.deleteMany(['a']);
    await store.clear('p:');
    assert.equal(client.sent.length, 13);
    for (const { args, options } of client.sent) {
      assert.ok(options !== undefined, `${String(args[0])} sent without the store's options`);
      assert.equal(options.timeout, 0, String(args[0]));
      assert.equal(options.typeMapping?.[36], Buffer, String(args[0]));
    }
  });

  it('builds SET with PX (rounded up), NX for add, and no PX for a null TTL', async () => {
    const client = new FakeClient();
    client.respond = () => 'OK';
    const store = redisStore({ client });
    await store.set('k', new Uint8Array([1, 2]), 1500.2);
    await store.set('k', bytes('v'), null);
    await store.add('k', bytes('v'), 10);
    const [withTtl, forever, nx] = client.sent.map(({ args }) =>
      args.map((arg) => (Buffer.isBuffer(arg) ? '<bytes>' : arg)),
    );
    assert.deepEqual(withTtl, ['SET', 'k', '<bytes>', 'PX', '1501']);
    assert.deepEqual(forever, ['SET', 'k', '<bytes>']);
    assert.deepEqual(nx, ['SET', 'k', '<bytes>', 'NX', 'PX', '10']);
  });

  it('maps replies: GET nil to null, SET NX nil to exists, PTTL -2/-1', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    client.respond = () => null;
    assert.equal(await store.get('k'), null);
    assert.equal(await store.add('k', bytes('v'), null), 'exists');
    client.respond = () => 'OK';
    assert.equal(await store.add('k', bytes('v'), null), 'stored');
    client.respond = () => -2;
    assert.equal(await store.ttl('k'), undefined);
    client.respond = () => -1;
    assert.equal(await store.ttl('k'), null);
    client.respond = () => 1234;
    assert.equal(await store.ttl('k'), 1234);
  });

  it('turns the incrBy sentinel into E_MISSING_KEY and reads the result exactly', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    client.respond = () => null;
    await assert.rejects(store.incrBy('k', 1), (error) => isLarderError(error, 'E_MISSING_KEY'));
    // Integers come back as text for incrBy (see EXACT_INTEGERS in redis-store.ts).
    client.respond = () => '9007199254740991';
    assert.equal(await store.incrBy('k', 1), Number.MAX_SAFE_INTEGER);
    assert.equal(client.sent.at(-1)?.options?.typeMapping?.[58], String);
  });

  it('retries a script with EVAL after NOSCRIPT', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    client.respond = (args) => (args[0] === 'EVALSHA' ? new ErrorReply('NOSCRIPT No matching script.') : 1);
    assert.equal(await store.touch('k', null), true);
    assert.deepEqual(
      client.sent.map(({ args }) => args[0]),
      ['EVALSHA', 'EVAL'],
    );
  });

  it('rejects with LarderErrors that keep the cause', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    const cause = new SocketClosedUnexpectedlyError();
    client.respond = () => cause;
    for (const call of [
      () => mapped(store, store.get('k')),
      () => store.set('k', bytes('v'), null),
      () => store.getMany(['a']),
      () => store.deleteMany(['a']),
      () => store.clear('p:'),
      () => store.incrBy('k', 1),
    ]) {
      await assert.rejects(call(), (error) => isLarderError(error, 'E_STORE') && error.cause === cause);
    }
  });

  it('setMany: a refused entry is false, a connection failure or all refused rejects', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    const oom = new ErrorReply('OOM command not allowed');
    const entries = ['a', 'b', 'c'].map((key) => ({ key, value: bytes(key), ttlMs: 1000 }));
    client.respond = (args) => (args[1] === 'b' ? oom : 'OK');
    assert.deepEqual(await store.setMany(entries), [true, false, true]);
    client.respond = () => oom;
    await assert.rejects(store.setMany(entries), (error) => isLarderError(error, 'E_STORE_OOM'));
    client.respond = (args) => (args[1] === 'c' ? new SocketClosedUnexpectedlyError() : 'OK');
    await assert.rejects(store.setMany(entries), (error) => isLarderError(error, 'E_STORE'));
  });

  it('splitBySlot: one MGET per slot, replies put back in the caller order', async () => {
    const client = new FakeClient();
    client.respond = (args) => args.slice(1).map((key) => bytes(`value of ${String(key)}`));
    const store = redisStore({ client, splitBySlot: true });
    const keys = ['{x}1', 'foo', '{x}2', 'bar', '{x}3'];
    const values = await store.getMany(keys);
    assert.deepEqual(
      values.map((value) => value?.toString()),
      keys.map((key) => `value of ${key}`),
    );
    const mgets = client.sent.map(({ args }) => args.slice(1));
    assert.equal(mgets.length, 3);
    for (const group of mgets) assert.equal(new Set(group.map((key) => keySlot(String(key)))).size, 1);
  });

  it('without splitBySlot, one MGET and one UNLINK whatever the slots', async () => {
    const client = new FakeClient();
    client.respond = (args) => (args[0] === 'MGET' ? args.slice(1).map(() => null) : 2);
    const store = redisStore({ client });
    await store.getMany(['{x}1', 'foo', 'bar']);
    assert.equal(await store.deleteMany(['{x}1', 'foo', 'bar']), 2);
    assert.deepEqual(
      client.sent.map(({ args }) => args.length),
      [4, 4],
    );
  });

  it('clear escapes the prefix, follows the cursor, and unlinks each page', async () => {
    const client = new FakeClient();
    const pages = [
      [bytes('7'), [bytes('a*[1'), bytes('a*[2')]],
      [bytes('0'), [bytes('a*[3')]],
    ];
    client.respond = (args) => (args[0] === 'SCAN' ? pages.shift() : 1);
    const store = redisStore({ client, scanCount: 50 });
    await store.clear('a*[');
    assert.deepEqual(
      client.sent.map(({ args }) => args.map(String)),
      [
        ['SCAN', '0', 'MATCH', 'a\\*\\[*', 'COUNT', '50'],
        ['UNLINK', 'a*[1', 'a*[2'],
        ['SCAN', '7', 'MATCH', 'a\\*\\[*', 'COUNT', '50'],
        ['UNLINK', 'a*[3'],
      ],
    );
  });

  it('leaves a client it did not create alone: no connect, no close, listeners removed', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    assert.equal(client.listenerCount('error'), 1);
    await store.ready();
    await store.close();
    await store.close();
    assert.deepEqual([client.connects, client.closes, client.destroys], [0, 0, 0]);
    assert.equal(client.listenerCount('error'), 0);
    assert.equal(client.listenerCount('ready'), 0);
  });

  it('ready() waits for the client to become ready, and rejects with E_CLOSED on close', async () => {
    const client = new FakeClient();
    client.isReady = false;
    const store = redisStore({ client });
    let ready = false;
    const first = store.ready().then(() => {
      ready = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ready, false);
    client.isReady = true;
    client.emit('ready');
    await first;

    client.isReady = false;
    const second = store.ready();
    await store.close();
    await assert.rejects(second, (error) => isLarderError(error, 'E_CLOSED'));
    await assert.rejects(store.ready(), (error) => isLarderError(error, 'E_CLOSED'));
  });

  it('hands connection errors to onConnectionError as LarderErrors, and survives a throwing listener', () => {
    const client = new FakeClient();
    const seen: string[] = [];
    redisStore({
      client,
      onConnectionError: (error) => {
        seen.push(error.code);
        throw new Error('listener bug');
      },
    });
    client.emit('error', new Error('connect ECONNREFUSED'));
    assert.deepEqual(seen, ['E_STORE']);
  });

  it('takes a lease with one SET NX PX (whole ms, rounded up) and releases it with the compare-and-delete script', async () => {
    const client = new FakeClient();
    client.respond = (args) => {
      if (args[0] === 'SET') return args[1] === 'free' ? 'OK' : null;
      if (args[0] === 'EVALSHA') return args[3] === 'mine' ? 1 : 0;
      return null;
    };
    const store = redisStore({ client });
    assert.equal(await store.acquireLease('free', 'token-1', 1500.2), true);
    assert.equal(await store.acquireLease('held', 'token-1', 1500), false);
    assert.deepEqual(client.sent[0]?.args, ['SET', 'free', 'token-1', 'NX', 'PX', '1501']);
    assert.equal(await store.releaseLease('mine', 'token-1'), true);
    assert.equal(await store.releaseLease('theirs', 'token-1'), false);
    assert.deepEqual(client.sent[2]?.args.slice(2), ['1', 'mine', 'token-1']);
  });

  it('refuses a lease TTL that is not a positive finite number, without a command', async () => {
    const client = new FakeClient();
    const store = redisStore({ client });
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(store.acquireLease('k', 't', ttlMs), (error) =>
        isLarderError(error, 'E_INVALID_OPTION'),
      );
    }
    assert.equal(client.sent.length, 0);
  });

  it('bus.subscribe rejects with E_STORE when the client cannot open a subscriber connection', async () => {
    const store = redisStore({ client: new FakeClient() });
    const handlers = { message() {}, down() {}, up() {} };
    await assert.rejects(store.bus.subscribe('c', handlers), (error) => isLarderError(error, 'E_STORE'));
    await store.close();
    await assert.rejects(store.bus.subscribe('c', handlers), (error) => isLarderError(error, 'E_CLOSED'));
  });

  it('refuses url together with client', () => {
    assert.throws(
      () => redisStore({ client: new FakeClient(), url: 'redis://localhost' }),
      (error) => isLarderError(error, 'E_INVALID_OPTION'),
    );
  });
});
