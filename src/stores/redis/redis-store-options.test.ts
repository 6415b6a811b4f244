import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { type RedisStoreOptions, resolveStoreOptions, toClientOptions } from './redis-store-options.js';

/** The TCP/TLS socket fields under test (node-redis types them as a union with IPC). */
interface TcpSocket {
  host?: string;
  port?: number;
  tls?: boolean;
  servername?: string;
  connectTimeout?: number;
  reconnectStrategy?: unknown;
}

function socketOf(options: RedisStoreOptions): TcpSocket {
  return toClientOptions(options).socket as TcpSocket;
}

describe('toClientOptions', () => {
  it('connects to 127.0.0.1:6379 by default, with the store defaults', () => {
    const options = toClientOptions({});
    const socket = socketOf({});
    assert.equal(socket.host, '127.0.0.1');
    assert.equal(socket.port, 6379);
    assert.equal(socket.tls, false);
    assert.equal(socket.connectTimeout, 2000);
    assert.equal(typeof socket.reconnectStrategy, 'function');
    assert.equal(options.disableOfflineQueue, true);
    assert.equal(options.username, undefined);
    assert.equal(options.password, undefined);
    assert.equal(options.database, undefined);
  });

  it('takes TLS, ACL credentials and the database from a rediss:// URL', () => {
    const options = toClientOptions({ url: 'rediss://app:s%40cret@cache.example.com:6380/3' });
    const socket = options.socket as TcpSocket;
    assert.equal(socket.host, 'cache.example.com');
    assert.equal(socket.port, 6380);
    assert.equal(socket.tls, true);
    assert.equal(options.username, 'app');
    assert.equal(options.password, 's@cret');
    assert.equal(options.database, 3);
    // No URL goes to node-redis: it would parse it again, possibly differently.
    assert.equal(options.url, undefined);
  });

  it('applies connectTimeout, reconnect and disableOfflineQueue', () => {
    const options = toClientOptions({
      connectTimeout: 500,
      reconnect: { initialDelay: 10, maxDelay: 40, random: () => 0 },
      disableOfflineQueue: false,
    });
    assert.equal(options.socket?.connectTimeout, 500);
    const strategy = options.socket?.reconnectStrategy;
    assert.equal(typeof strategy, 'function');
    if (typeof strategy === 'function') {
      assert.equal(strategy(0, new Error('x')), 5);
      assert.equal(strategy(10, new Error('x')), 20);
    }
    assert.equal(options.disableOfflineQueue, false);
    assert.equal(toClientOptions({ reconnect: false }).socket?.reconnectStrategy, false);
  });

  it('passes extra client options through, the store options winning', () => {
    const ownStrategy = (): number => 7;
    const options = toClientOptions({
      url: 'rediss://cache.example.com',
      connectTimeout: 300,
      clientOptions: {
        name: 'web-1',
        pingInterval: 10_000,
        disableOfflineQueue: false,
        socket: {
          tls: true,
          servername: 'cache.example.com',
          connectTimeout: 9999,
          reconnectStrategy: ownStrategy,
        },
      },
    });
    assert.equal(options.name, 'web-1');
    assert.equal(options.pingInterval, 10_000);
    assert.equal(options.disableOfflineQueue, false);
    assert.equal((options.socket as TcpSocket).servername, 'cache.example.com');
    assert.equal(options.socket?.connectTimeout, 300);
    // A reconnectStrategy in clientOptions is kept when `reconnect` is not given.
    assert.equal(options.socket?.reconnectStrategy, ownStrategy);
  });
});

describe('resolveStoreOptions', () => {
  it('rejects url together with client, and never shows the password', () => {
    const client = {} as never;
    assert.throws(
      () => resolveStoreOptions({ url: 'redis://app:hunter2@x', client }),
      (error) =>
        isLarderError(error, 'E_INVALID_OPTION') &&
        error.message === 'redisStore: url must be left out when a client is given, got "redis://app:***@x"',
    );
  });

  it('rejects a URL hidden in clientOptions', () => {
    assert.throws(
      () => resolveStoreOptions({ clientOptions: { url: 'redis://x' } }),
      (error) =>
        isLarderError(error, 'E_INVALID_OPTION') && error.message.startsWith('redisStore: clientOptions.url'),
    );
  });

  it('resolves durations to ms once: strings with units, connectTimeout as the readyTimeout default', () => {
    assert.deepEqual(resolveStoreOptions({}), {
      connectTimeoutMs: 2000,
      readyTimeoutMs: 2000,
      closeTimeoutMs: 1000,
      subscribeTimeoutMs: 2000,
      scanCount: 1000,
    });
    const resolved = resolveStoreOptions({
      connectTimeout: '1.5s',
      closeTimeout: '250ms',
      subscribeTimeout: '1m',
    });
    assert.equal(resolved.readyTimeoutMs, 1500);
    assert.equal(resolved.closeTimeoutMs, 250);
    assert.equal(resolved.subscribeTimeoutMs, 60_000);
    assert.equal(toClientOptions({ connectTimeout: '3s' }).socket?.connectTimeout, 3000);
  });

  it('rejects non-positive durations and counts, naming the option', () => {
    for (const [options, name] of [
      [{ connectTimeout: 0 }, 'connectTimeout'],
      [{ scanCount: -1 }, 'scanCount'],
      [{ closeTimeout: Number.NaN }, 'closeTimeout'],
      [{ reconnect: { maxDelay: 0 } }, 'reconnect.maxDelay'],
    ] as const) {
      assert.throws(
        () => resolveStoreOptions(options),
        (error) =>
          isLarderError(error, 'E_INVALID_OPTION') &&
          error.message.startsWith(`redisStore: ${name} must be `),
      );
    }
  });
});
