import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import {
  type RedisStoreOptions,
  resolveStoreOptions,
  retryDelayOf,
  toClientOptions,
} from './redis-store-options.js';

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
    // The store reconnects its client itself (reconnect-loop.ts), never node-redis.
    assert.equal(socket.reconnectStrategy, false);
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

  it('applies connectTimeout and disableOfflineQueue', () => {
    const options = toClientOptions({ connectTimeout: 500, disableOfflineQueue: false });
    assert.equal(options.socket?.connectTimeout, 500);
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
    // Read by the store's own reconnect loop instead (see retryDelayOf).
    assert.equal(options.socket?.reconnectStrategy, false);
  });
});

describe('retryDelayOf', () => {
  const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');

  it('waits the reconnect backoff', () => {
    const delay = retryDelayOf({ reconnect: { initialDelay: 10, maxDelay: 40, random: () => 0 } });
    assert.equal(delay(0, cause), 5);
    assert.equal(delay(10, cause), 20);
    assert.equal(retryDelayOf({ reconnect: { random: () => 0 } })(0, cause), 25);
  });

  it('gives up at once with reconnect: false', () => {
    assert.equal(retryDelayOf({ reconnect: false })(0, cause), false);
  });

  it('reads a node-redis reconnectStrategy from clientOptions as node-redis does, when reconnect is not given', () => {
    const fromSocket = (reconnectStrategy: unknown, reconnect?: RedisStoreOptions['reconnect']) =>
      retryDelayOf({
        clientOptions: { socket: { reconnectStrategy } as never },
        ...(reconnect === undefined ? {} : { reconnect }),
      });
    const seen: Array<[number, Error]> = [];
    const own = fromSocket((retries: number, error: Error) => {
      seen.push([retries, error]);
      return retries < 2 ? 7 : retries < 3 ? new Error('enough') : false;
    });
    assert.deepEqual(
      [0, 1, 2, 3].map((retries) => own(retries, cause)),
      [7, 7, false, false],
    );
    assert.deepEqual(seen[0], [0, cause]);
    assert.equal(fromSocket(30)(5, cause), 30);
    assert.equal(fromSocket(false)(0, cause), false);
    // One that throws gets the default backoff, as in node-redis.
    const throwing = fromSocket(() => {
      throw new Error('bug');
    });
    const delayMs = throwing(0, cause);
    assert.ok(typeof delayMs === 'number' && delayMs >= 25 && delayMs <= 50, String(delayMs));
    // `reconnect` wins over it.
    assert.equal(fromSocket(30, { initialDelay: 10, random: () => 0 })(0, cause), 5);
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
