import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { parseRedisUrl } from './parse-redis-url.js';

describe('parseRedisUrl', () => {
  it('reads host and port, defaulting the port to 6379', () => {
    assert.deepEqual(parseRedisUrl('redis://cache.internal'), {
      host: 'cache.internal',
      port: 6379,
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('redis://10.0.0.5:6380'), { host: '10.0.0.5', port: 6380, tls: false });
  });

  it('turns on TLS for rediss://', () => {
    assert.equal(parseRedisUrl('rediss://cache.example.com:6380').tls, true);
    assert.equal(parseRedisUrl('redis://cache.example.com:6380').tls, false);
  });

  it('reads an ACL user and password, percent-decoded', () => {
    const parts = parseRedisUrl('rediss://app%40eu:p%3Ass%2Fw%40rd@cache.example.com:6380/2');
    assert.deepEqual(parts, {
      host: 'cache.example.com',
      port: 6380,
      tls: true,
      username: 'app@eu',
      password: 'p:ss/w@rd',
      database: 2,
    });
  });

  it('reads a password without a user (requirepass)', () => {
    const parts = parseRedisUrl('redis://:secret@localhost');
    assert.equal(parts.username, undefined);
    assert.equal(parts.password, 'secret');
  });

  it('reads the database index from the path', () => {
    assert.equal(parseRedisUrl('redis://localhost/0').database, 0);
    assert.equal(parseRedisUrl('redis://localhost/15').database, 15);
    assert.equal(parseRedisUrl('redis://localhost/').database, undefined);
  });

  it('unwraps bracketed IPv6 hosts', () => {
    assert.equal(parseRedisUrl('redis://[::1]:6379').host, '::1');
  });

  it('rejects other schemes, bad paths and garbage with E_INVALID_OPTION', () => {
    for (const url of [
      'http://localhost',
      'localhost:6379',
      'redis://localhost/abc',
      'redis://localhost/1/2',
      'redis://',
    ]) {
      assert.throws(
        () => parseRedisUrl(url),
        (error) =>
          isLarderError(error, 'E_INVALID_OPTION') &&
          error.message.startsWith('redisStore: url must be a') &&
          error.message.endsWith(`, got ${JSON.stringify(url)}`),
        url,
      );
    }
  });

  it('never repeats the password in its error message', () => {
    assert.throws(
      () => parseRedisUrl('redis://app:hunter2@localhost/x'),
      (error) =>
        isLarderError(error) && !error.message.includes('hunter2') && error.message.includes('app:***@'),
    );
  });
});
