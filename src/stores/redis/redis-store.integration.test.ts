/**
 * The Redis store against a real server: every operation on the shared Redis
 * (under a unique prefix, removed afterwards), plus command counts and wire
 * batching on a private redis-server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { isLarderError } from '../../core/errors.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { mapped } from '../../test-support/mapped.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { keySlot } from './key-slot.js';
import { type RedisStore, redisStore } from './redis-store.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
/** The keys of at least four entries, typed as present. */
const keysOf = (entries: ReadonlyArray<{ key: string }>): [string, string, string, string] => {
  const [a, b, c, d] = entries.map((entry) => entry.key);
  assert.ok(a !== undefined && b !== undefined && c !== undefined && d !== undefined);
  return [a, b, c, d];
};
const text = (value: Uint8Array | null | undefined): string | undefined =>
  value == null ? undefined : Buffer.from(value).toString('utf8');

describe('redisStore on the shared Redis', () => {
  const prefix = uniquePrefix('redis-store');
  const k = (name: string): string => `${prefix}${name}`;
  let store: RedisStore;
  let sliced: RedisStore;

  before(async () => {
    store = redisStore({ url: redisUrl() });
    sliced = redisStore({ url: redisUrl(), splitBySlot: true });
    await Promise.all([store.ready(), sliced.ready()]);
  });

  after(async () => {
    await store.clear(prefix);
    await Promise.all([store.close(), sliced.close()]);
  });

  it('round-trips every byte value, also from a Uint8Array view with an offset', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await store.set(k('bin'), all, 10_000);
    assert.deepEqual(Buffer.from((await store.get(k('bin'))) as Uint8Array), all);

    const backing = new Uint8Array([9, 9, 0, 13, 10, 255, 0, 9]);
    await store.set(k('view'), backing.subarray(2, 7), 10_000);
    assert.deepEqual([...((await store.get(k('view'))) as Uint8Array)], [0, 13, 10, 255, 0]);

    await store.set(k('empty'), new Uint8Array(0), 10_000);
    assert.equal((await store.get(k('empty')))?.length, 0);
  });

  it('returns undefined for a missing key', async () => {
    assert.equal(await store.get(k('nope')), null);
  });

  it('sets with a millisecond TTL, and a null TTL removes an old one', async () => {
    await store.set(k('ttl'), bytes('v'), 1500);
    const left = await store.ttl(k('ttl'));
    assert.ok(typeof left === 'number' && left > 1400 && left <= 1500, `ttl ${left}`);
    await store.set(k('ttl'), bytes('v2'), null);
    assert.equal(await store.ttl(k('ttl')), null);
    assert.equal(text(await store.get(k('ttl'))), 'v2');
  });

  it('expires with millisecond precision', async () => {
    await store.set(k('short'), bytes('v'), 120);
    // PTTL, not a sleep: milliseconds, not rounded to a second (which would read 1000).
    const left = await store.ttl(k('short'));
    assert.ok(typeof left === 'number' && left > 0 && left <= 120, `PTTL ${left}`);
    await sleep(300);
    assert.equal(await store.get(k('short')), null);
  });

  it('rounds a fractional TTL up, never down to zero', async () => {
    await store.set(k('frac'), bytes('v'), 0.3);
    const left = await store.ttl(k('frac'));
    assert.ok(left === undefined || (typeof left === 'number' && left <= 1), `ttl ${left}`);
  });

  it('add stores only when absent, with its TTL', async () => {
    assert.equal(await store.add(k('add'), bytes('first'), 5000), 'stored');
    assert.equal(await store.add(k('add'), bytes('second'), 5000), 'exists');
    assert.equal(text(await store.get(k('add'))), 'first');
    const left = await store.ttl(k('add'));
    assert.ok(typeof left === 'number' && left > 4000);
    assert.equal(await store.add(k('add-forever'), bytes('x'), null), 'stored');
    assert.equal(await store.ttl(k('add-forever')), null);
  });

  it('delete reports whether the key existed', async () => {
    await store.set(k('del'), bytes('v'), 5000);
    assert.equal(await store.delete(k('del')), true);
    assert.equal(await store.delete(k('del')), false);
    assert.equal(await store.get(k('del')), null);
  });

  it('has tells presence without the value', async () => {
    await store.set(k('has'), bytes(''), 5000);
    assert.equal(await store.has(k('has')), true);
    assert.equal(await store.has(k('has-not')), false);
  });

  it('touch sets a new TTL, or makes a key persistent, and reports existence', async () => {
    await store.set(k('touch'), bytes('v'), 500);
    assert.equal(await store.touch(k('touch'), 60_000), true);
    const left = await store.ttl(k('touch'));
    assert.ok(typeof left === 'number' && left > 59_000);

    assert.equal(await store.touch(k('touch'), null), true);
    assert.equal(await store.ttl(k('touch')), null);
    // Already persistent: PERSIST alone would answer 0 here.
    assert.equal(await store.touch(k('touch'), null), true);

    assert.equal(await store.touch(k('touch-missing'), null), false);
    assert.equal(await store.touch(k('touch-missing'), 1000), false);
    assert.equal(await store.has(k('touch-missing')), false);
  });

  it('ttl maps PTTL: a number, null for no expiry, undefined when absent', async () => {
    await store.set(k('pttl'), bytes('v'), 3000);
    const left = await store.ttl(k('pttl'));
    assert.ok(typeof left === 'number' && left > 2900 && left <= 3000);
    await store.set(k('pttl-forever'), bytes('v'), null);
    assert.equal(await store.ttl(k('pttl-forever')), null);
    assert.equal(await store.ttl(k('pttl-missing')), undefined);
  });

  it('incrBy adds atomically and keeps the TTL', async () => {
    await store.set(k('n'), bytes('41'), 30_000);
    assert.equal(await store.incrBy(k('n'), 1), 42);
    assert.equal(await store.incrBy(k('n'), -50), -8);
    assert.equal(text(await store.get(k('n'))), '-8');
    const left = await store.ttl(k('n'));
    assert.ok(typeof left === 'number' && left > 29_000, `ttl ${left}`);

    const results = await Promise.all(Array.from({ length: 100 }, () => store.incrBy(k('n'), 1)));
    assert.equal(new Set(results).size, 100);
    assert.equal(text(await store.get(k('n'))), '92');
  });

  it('incrBy rejects a missing key with E_MISSING_KEY and does not create it', async () => {
    await assert.rejects(store.incrBy(k('n-missing'), 1), (error) => isLarderError(error, 'E_MISSING_KEY'));
    assert.equal(await store.has(k('n-missing')), false);
  });

  it('incrBy rejects a non-integer value with E_NOT_INTEGER, with a cause', async () => {
    await store.set(k('not-n'), bytes('12abc'), 5000);
    await assert.rejects(
      store.incrBy(k('not-n'), 1),
      (error) => isLarderError(error, 'E_NOT_INTEGER') && error.cause instanceof Error,
    );
    assert.equal(text(await store.get(k('not-n'))), '12abc');
  });

  it('incrBy is exact up to the largest safe integer, and refuses to pass it without changing the value', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    await store.set(k('big'), bytes(String(max - 60)), 10_000);
    for (let expected = max - 59; expected <= max; expected++) {
      assert.equal(await store.incrBy(k('big'), 1), expected);
    }
    await assert.rejects(store.incrBy(k('big'), 1), (error) => isLarderError(error, 'E_NOT_INTEGER'));
    assert.equal(text(await store.get(k('big'))), String(max));

    await store.set(k('small'), bytes(String(-max + 1)), 10_000);
    assert.equal(await store.incrBy(k('small'), -1), -max);
    await assert.rejects(store.incrBy(k('small'), -max), (error) => isLarderError(error, 'E_NOT_INTEGER'));
    assert.equal(text(await store.get(k('small'))), String(-max));

    // Beyond the int64 range Redis itself refuses.
    await store.set(k('huge'), bytes('9223372036854775807'), 10_000);
    await assert.rejects(store.incrBy(k('huge'), 1), (error) => isLarderError(error, 'E_NOT_INTEGER'));
    assert.equal(text(await store.get(k('huge'))), '9223372036854775807');
  });

  it('incrBy rejects a delta that is not a safe integer', async () => {
    await store.set(k('n2'), bytes('1'), 5000);
    await assert.rejects(store.incrBy(k('n2'), 1.5), (error) => isLarderError(error, 'E_INVALID_OPTION'));
  });

  for (const mode of ['one group', 'split by slot'] as const) {
    it(`getMany keeps order and reports absent keys as undefined (${mode})`, async () => {
      const target = mode === 'one group' ? store : sliced;
      const names = Array.from({ length: 40 }, (_, i) => k(`many:${mode}:${i}`));
      await Promise.all(
        names.map((name, i) => (i % 3 === 0 ? undefined : target.set(name, bytes(`v${i}`), 10_000))),
      );
      const values = await target.getMany([...names, k('many:absent')]);
      assert.equal(values.length, names.length + 1);
      for (let i = 0; i < names.length; i++) {
        assert.equal(text(values[i]), i % 3 === 0 ? undefined : `v${i}`);
      }
      assert.equal(values[names.length], undefined);
      assert.deepEqual(await target.getMany([]), []);
    });

    it(`setMany stores each entry with its TTL; deleteMany counts what existed (${mode})`, async () => {
      const target = mode === 'one group' ? store : sliced;
      const entries = Array.from({ length: 30 }, (_, i) => ({
        key: k(`batch:${mode}:${i}`),
        value: bytes(`b${i}`),
        ttlMs: i % 2 === 0 ? 20_000 : null,
      }));
      assert.deepEqual(
        await target.setMany(entries),
        entries.map(() => true),
      );
      const [first, second, , fourth] = keysOf(entries);
      assert.equal(text(await target.get(fourth)), 'b3');
      const even = await target.ttl(first);
      assert.ok(typeof even === 'number' && even > 19_000);
      assert.equal(await target.ttl(second), null);
      assert.deepEqual(await target.setMany([]), []);

      const keys = entries.map((entry) => entry.key);
      assert.equal(await target.deleteMany([...keys.slice(0, 10), k('batch:absent')]), 10);
      assert.equal(await target.deleteMany(keys), 20);
      assert.equal(await target.deleteMany([]), 0);
    });
  }

  it('clear removes only its prefix; other prefixes survive', async () => {
    const mine = `${prefix}clear-a:`;
    const theirs = `${prefix}clear-b:`;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => [
        store.set(`${mine}${i}`, bytes('x'), 60_000),
        store.set(`${theirs}${i}`, bytes('y'), 60_000),
      ]).flat(),
    );
    // A key that shares the beginning but not the whole prefix.
    await store.set(`${prefix}clear-a`, bytes('no colon'), 60_000);
    await store.clear(mine);
    assert.deepEqual(
      (await store.getMany(Array.from({ length: 50 }, (_, i) => `${mine}${i}`))).filter(Boolean),
      [],
    );
    assert.equal(
      (await store.getMany(Array.from({ length: 50 }, (_, i) => `${theirs}${i}`))).filter(Boolean).length,
      50,
    );
    assert.equal(text(await store.get(`${prefix}clear-a`)), 'no colon');
  });

  it('clear escapes glob characters in the prefix', async () => {
    const glob = `${prefix}a*b[c]?\\:`;
    await store.set(`${glob}1`, bytes('in'), 60_000);
    await store.set(`${glob}2`, bytes('in'), 60_000);
    // Each of these would match if the prefix were used as a raw pattern.
    const lookalikes = [
      `${prefix}aZZb[c]?\\:1`,
      `${prefix}a*bc?\\:1`,
      `${prefix}a*b[c]X\\:1`,
      `${prefix}a*b[c]?:1`,
    ];
    for (const key of lookalikes) await store.set(key, bytes('out'), 60_000);
    await store.clear(glob);
    assert.equal(await store.get(`${glob}1`), null);
    assert.equal(await store.get(`${glob}2`), null);
    for (const key of lookalikes) assert.equal(text(await store.get(key)), 'out', key);
  });

  it('clear walks every SCAN page, also when split by slot', async () => {
    for (const target of [store, sliced]) {
      const many = `${prefix}clear-many:`;
      await target.setMany(
        Array.from({ length: 2500 }, (_, i) => ({ key: `${many}${i}`, value: bytes('x'), ttlMs: 60_000 })),
      );
      await target.clear(many);
      const left = await target.getMany(Array.from({ length: 2500 }, (_, i) => `${many}${i}`));
      assert.equal(left.filter(Boolean).length, 0);
    }
  });

  it('clear refuses an empty prefix', async () => {
    await assert.rejects(store.clear(''), (error) => isLarderError(error, 'E_INVALID_OPTION'));
  });

  it('scanKeys walks every SCAN page, returns UTF-8 text, and refuses what clear refuses', async () => {
    const many = `${prefix}scan-many:é`;
    const written = Array.from({ length: 2500 }, (_, i) => `${many}${i}`);
    await store.setMany(written.map((key) => ({ key, value: bytes('x'), ttlMs: 60_000 })));
    const seen = new Set<string>();
    for await (const page of store.scanKeys(many)) {
      assert.ok(page.length > 0 && page.length <= 1000, `page of ${page.length}`);
      for (const key of page) seen.add(key);
    }
    assert.deepEqual([...seen].sort(), [...written].sort());
    await store.clear(many);
    const refuses = async (pages: AsyncIterable<readonly string[]>, option: string): Promise<void> => {
      await assert.rejects(
        (async () => {
          for await (const _ of pages);
        })(),
        (error) => isLarderError(error, 'E_INVALID_OPTION') && error.message.includes(option),
      );
    };
    await refuses(store.scanKeys(''), 'redisStore.scanKeys: prefix must be a non-empty string');
    await refuses(store.scanKeys(many, 0), 'redisStore.scanKeys: pageSize must be a positive integer');
  });
});

describe('redisStore with a client it did not create', () => {
  it('uses the client, and neither closes it nor leaves its listener behind', async () => {
    const client = createClient({ url: redisUrl() });
    client.on('error', () => {});
    await client.connect();
    const listeners = client.listenerCount('error');
    const store = redisStore({ client });
    assert.equal(store.client, client);
    assert.equal(client.listenerCount('error'), listeners + 1);
    await store.ready();
    const key = `${uniquePrefix('own-client')}k`;
    await store.set(key, bytes('v'), 5000);
    assert.equal(text(await store.get(key)), 'v');
    await store.close();
    assert.equal(client.isOpen, true);
    assert.equal(client.listenerCount('error'), listeners);
    // The client still serves its owner, with its own (string) replies.
    assert.equal(await client.get(key), 'v');
    await client.del(key);
    client.destroy();
  });
});

describe('redisStore lifecycle', () => {
  it('closes the client it created; close is idempotent; ready rejects afterwards', async () => {
    const store = redisStore({ url: redisUrl() });
    await store.ready();
    assert.equal(store.client.isOpen, true);
    await Promise.all([store.close(), store.close()]);
    assert.equal(store.client.isOpen, false);
    await store.close();
    await assert.rejects(store.ready(), (error) => isLarderError(error, 'E_CLOSED'));
    await assert.rejects(mapped(store, store.get('x')), (error) => isLarderError(error, 'E_STORE'));
  });

  it('commands issued before the first connect completes wait for it instead of failing offline', async () => {
    const prefix = uniquePrefix('redis-store-early');
    const store = redisStore({ url: redisUrl() });
    try {
      // No ready(): a script or a request handler that uses the cache at once.
      await store.set(`${prefix}k`, bytes('early'), 60_000);
      assert.equal(text(await store.get(`${prefix}k`)), 'early');
    } finally {
      await store.clear(prefix);
      await store.close();
    }
  });

  it('after a failed first attempt, commands fail fast instead of waiting for the reconnect', async () => {
    const server = await startRedisServer();
    const url = server.url;
    await server.stop();
    const store = redisStore({ url, reconnect: { initialDelay: 5_000, maxDelay: 5_000 } });
    try {
      const started = performance.now();
      await assert.rejects(mapped(store, store.get('x')), (error) => isLarderError(error, 'E_STORE'));
      assert.ok(performance.now() - started < 1_000, 'failed at the first attempt, not after a retry');
    } finally {
      await store.close();
    }
  });
});

/** A TCP relay that counts how many chunks the client side writes. */
async function countingRelay(
  targetPort: number,
): Promise<{ port: number; chunks: () => number; reset: () => void; close: () => Promise<void> }> {
  let chunks = 0;
  const sockets = new Set<Socket>();
  const relay: Server = createServer((client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      chunks++;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const address = relay.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    chunks: () => chunks,
    reset: () => {
      chunks = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      relay.close();
      await once(relay, 'close');
    },
  };
}

describe('keySlot against a cluster-enabled redis-server', () => {
  let server: RedisServer;
  let admin: ReturnType<typeof createClient>;
  const nodesFile = `/tmp/larder-nodes-${process.pid}-${Date.now()}.conf`;

  before(async () => {
    server = await startRedisServer({
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', nodesFile],
    });
    admin = createClient({ url: server.url });
    admin.on('error', () => {});
    await admin.connect();
  });

  after(async () => {
    admin.destroy();
    await server.stop();
    await rm(nodesFile, { force: true });
  });

  it('agrees with CLUSTER KEYSLOT on random, tagged and non-ASCII keys', async () => {
    const keys = [
      '123456789',
      'foo{bar}',
      'foo{}{bar}',
      'foo{{bar}}zap',
      '{user1000}.x',
      'ключ{鍵}',
      'emoji😀',
      '',
    ];
    for (let i = 0; i < 200; i++)
      keys.push(`larder:1:${Math.random().toString(36)}${i % 7 === 0 ? `{t${i}}` : ''}`);
    for (const key of keys) {
      assert.equal(keySlot(key), await admin.clusterKeySlot(key), key);
    }
  });
});

describe('redisStore on the wire (private redis-server)', () => {
  let server: RedisServer;
  let admin: ReturnType<typeof createClient>;

  before(async () => {
    server = await startRedisServer();
    admin = createClient({ url: server.url });
    admin.on('error', () => {});
    await admin.connect();
  });

  after(async () => {
    admin.destroy();
    await server.stop();
  });

  async function calls(command: string): Promise<number> {
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.info('commandstats'));
    return match === null ? 0 : Number(match[1]);
  }

  it('writes commands issued in the same tick in one batch (auto-pipelining)', async () => {
    const relay = await countingRelay(server.port);
    const store = redisStore({ url: `redis://127.0.0.1:${relay.port}` });
    try {
      await store.ready();
      await store.set('k', bytes('v'), 10_000);
      relay.reset();
      const values = await Promise.all(Array.from({ length: 200 }, () => store.get('k')));
      assert.equal(values.filter((value) => text(value) === 'v').length, 200);
      // 200 GETs written together: TCP may split the batch, but not 200 ways.
      assert.ok(relay.chunks() <= 4, `${relay.chunks()} chunks for 200 GETs`);
    } finally {
      await store.close();
      await relay.close();
    }
  });

  it('sends getMany as one MGET, setMany as one SET per entry, deleteMany as one UNLINK', async () => {
    const store = redisStore({ url: server.url });
    const sliced = redisStore({ url: server.url, splitBySlot: true });
    try {
      await Promise.all([store.ready(), sliced.ready()]);
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      await admin.configResetStat();
      await store.setMany(keys.map((key) => ({ key, value: bytes(key), ttlMs: 10_000 })));
      await store.getMany(keys);
      await store.deleteMany(keys);
      assert.equal(await calls('set'), 50);
      assert.equal(await calls('mget'), 1);
      assert.equal(await calls('unlink'), 1);

      // Split by slot: one MGET / UNLINK per slot group, same answers.
      const slots = new Set(keys.map((key) => keySlot(key))).size;
      assert.ok(slots > 1);
      await admin.configResetStat();
      await sliced.setMany(keys.map((key) => ({ key, value: bytes(key), ttlMs: 10_000 })));
      const values = await sliced.getMany(keys);
      assert.deepEqual(values.map(text), keys);
      assert.equal(await sliced.deleteMany(keys), 50);
      assert.equal(await calls('mget'), slots);
      assert.equal(await calls('unlink'), slots);
    } finally {
      await Promise.all([store.close(), sliced.close()]);
    }
  });

  it('falls back to EVAL when the server forgot the script (NOSCRIPT)', async () => {
    const store = redisStore({ url: server.url });
    try {
      await store.ready();
      await store.set('counter', bytes('1'), 10_000);
      assert.equal(await store.incrBy('counter', 1), 2);
      await admin.scriptFlush();
      assert.equal(await store.incrBy('counter', 1), 3);
      await admin.scriptFlush();
      assert.equal(await store.touch('counter', null), true);
    } finally {
      await store.close();
    }
  });
});
