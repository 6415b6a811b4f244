/**
 * How the Redis store fails: server refusals (OOM, WRONGTYPE, scripts) map to
 * their own codes, and an unreachable server fails fast with E_STORE without
 * ever throwing from the factory or crashing the process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { isLarderError, type LarderError } from '../../core/errors.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { mapped } from '../../test-support/mapped.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { type RedisStore, redisStore } from './redis-store.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('Redis OOM (maxmemory with noeviction)', () => {
  let server: RedisServer;
  let store: RedisStore;

  before(async () => {
    server = await startRedisServer({ args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
    store = redisStore({ url: server.url });
    await store.ready();
  });

  after(async () => {
    await store.close();
    await server.stop();
  });

  it('reports writes refused for memory as E_STORE_OOM, with the cause', async () => {
    // An empty server already uses most of 1 MB; fill the rest.
    const chunk = Buffer.alloc(16 * 1024, 7);
    let refused: unknown;
    for (let i = 0; i < 1000 && refused === undefined; i++) {
      await store.set(`fill:${i}`, chunk, null).catch((error: unknown) => {
        refused = error;
      });
    }
    assert.ok(isLarderError(refused, 'E_STORE_OOM'), `got ${String(refused)}`);
    assert.match(String((refused as LarderError).cause), /OOM/);

    await assert.rejects(store.set('one-more', chunk, 1000), (error) => isLarderError(error, 'E_STORE_OOM'));
    await assert.rejects(store.add('one-more', chunk, 1000), (error) => isLarderError(error, 'E_STORE_OOM'));
    // Every entry refused: setMany rejects, so the refusal is not silent.
    await assert.rejects(
      store.setMany([
        { key: 'm1', value: chunk, ttlMs: 1000 },
        { key: 'm2', value: chunk, ttlMs: 1000 },
      ]),
      (error) => isLarderError(error, 'E_STORE_OOM'),
    );
    // Reads and deletes still work on a full server.
    assert.equal((await store.get('fill:0'))?.length, chunk.length);
    assert.equal(await store.delete('fill:0'), true);
  });
});

describe('WRONGTYPE (a key holding another Redis type)', () => {
  const prefix = uniquePrefix('wrongtype');
  let store: RedisStore;
  let admin: ReturnType<typeof createClient>;

  before(async () => {
    store = redisStore({ url: redisUrl() });
    admin = createClient({ url: redisUrl() });
    admin.on('error', () => {});
    await Promise.all([store.ready(), admin.connect()]);
    await admin.lPush(`${prefix}list`, 'x');
  });

  after(async () => {
    await store.clear(prefix);
    await store.close();
    admin.destroy();
  });

  it('maps get and incrBy on a list to E_WRONG_TYPE', async () => {
    const isWrongType = (error: unknown): boolean =>
      isLarderError(error, 'E_WRONG_TYPE') && error.cause instanceof Error;
    await assert.rejects(mapped(store, store.get(`${prefix}list`)), isWrongType);
    await assert.rejects(store.incrBy(`${prefix}list`, 1), isWrongType);
    // MGET answers nil for a key of another type rather than failing.
    assert.deepEqual(await store.getMany([`${prefix}list`]), [undefined]);
    // Commands that work on any type still do.
    assert.equal(await store.has(`${prefix}list`), true);
    assert.equal(await store.delete(`${prefix}list`), true);
  });
});

describe('Redis unreachable', () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedisServer();
  });

  after(async () => {
    await server.stop();
  });

  it('creating the store does not throw; calls fail fast with E_STORE; it connects once Redis is up', async () => {
    await server.kill();
    const seen: LarderError[] = [];
    const store = redisStore({
      url: server.url,
      reconnect: { initialDelay: 20, maxDelay: 100 },
      onConnectionError: (error) => seen.push(error),
    });
    let ready = false;
    const readiness = store.ready().then(() => {
      ready = true;
    });
    try {
      const started = performance.now();
      for (let i = 0; i < 1000; i++) {
        await assert.rejects(
          mapped(store, store.get('k')),
          (error) => isLarderError(error, 'E_STORE') && error.cause instanceof Error,
        );
      }
      const perCallMs = (performance.now() - started) / 1000;
      // Offline queue disabled: a refusal, not a wait for the reconnect (which
      // would take tens of ms per call, or forever). A loose bound: timing is
      // for benchmarks; a refusal costs microseconds.
      assert.ok(perCallMs < 20, `${perCallMs} ms per call while down`);

      await sleep(150);
      assert.equal(ready, false);
      assert.ok(seen.length > 0 && seen.every((error) => isLarderError(error, 'E_STORE')));

      await server.restart();
      await readiness;
      await store.set('k', bytes('back'), 5000);
      assert.equal(Buffer.from((await store.get('k')) as Uint8Array).toString(), 'back');
    } finally {
      await store.close();
    }
  });

  it('close() while never connected resolves, and rejects pending ready()', async () => {
    await server.kill();
    const store = redisStore({ url: server.url });
    const readiness = store.ready();
    await sleep(50);
    await store.close();
    await assert.rejects(readiness, (error) => isLarderError(error, 'E_CLOSED'));
    await server.restart();
  });

  it('with reconnect: false, ready() rejects instead of waiting forever', async () => {
    await server.kill();
    const store = redisStore({ url: server.url, reconnect: false });
    try {
      await assert.rejects(store.ready(), (error) => isLarderError(error, 'E_STORE'));
      await assert.rejects(store.ready(), (error) => isLarderError(error, 'E_STORE'));
      await assert.rejects(mapped(store, store.get('k')), (error) => isLarderError(error, 'E_STORE'));
    } finally {
      await store.close();
      await server.restart();
    }
  });

  it('close() does not wait forever for a frozen server, and fails what was pending', async () => {
    const store = redisStore({ url: server.url, closeTimeout: 200 });
    await store.ready();
    server.freeze();
    try {
      const pending = store.get('k');
      const started = performance.now();
      await store.close();
      const tookMs = performance.now() - started;
      // At least its 200 ms grace; far less than forever (a loaded machine may add seconds).
      assert.ok(tookMs >= 150 && tookMs < 5_000, `close took ${tookMs.toFixed(0)} ms`);
      await assert.rejects(mapped(store, pending), (error) => isLarderError(error, 'E_STORE'));
      assert.equal(store.client.isOpen, false);
    } finally {
      server.thaw();
    }
  });

  it('reports a wrong password as a connection error and fails calls with E_STORE', async () => {
    const secured = await startRedisServer({ args: ['--requirepass', 'right'] });
    const seen: LarderError[] = [];
    const store = redisStore({
      url: `redis://:wrong@127.0.0.1:${secured.port}`,
      reconnect: { initialDelay: 20, maxDelay: 100 },
      onConnectionError: (error) => seen.push(error),
    });
    try {
      await sleep(200);
      assert.ok(
        seen.some((error) => /WRONGPASS|invalid password/i.test(error.message)),
        seen.map(String).join('\n'),
      );
      await assert.rejects(mapped(store, store.get('k')), (error) => isLarderError(error, 'E_STORE'));
    } finally {
      await store.close();
      await secured.stop();
    }
  });
});
