/**
 * An unreachable Redis says why: a refused connection and an unknown host name
 * their cause (ECONNREFUSED, ENOTFOUND) in every error instead of only "The
 * client is offline"; and `ready()` gives up after its timeout with that
 * reason. That a process closing such a store exits promptly is
 * exit-after-close.integration.test.ts.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { createCache } from '../../create-cache.js';
import { freePort } from '../../test-support/free-port.js';
import { redisStore } from './redis-store.js';

/** A failure that names `reason` in its message and carries the socket error as `cause`. */
function namesReason(reason: string, said?: RegExp) {
  return (error: unknown): boolean => {
    if (said !== undefined) assert.match((error as Error).message, said);
    assert.ok(isLarderError(error, 'E_STORE'), `E_STORE expected, got ${String(error)}`);
    assert.match(error.message, new RegExp(reason));
    assert.equal((error.cause as NodeJS.ErrnoException | undefined)?.code, reason);
    return true;
  };
}

describe('redisStore against an unreachable Redis', () => {
  for (const [label, reason, url] of [
    ['a port nothing listens on', 'ECONNREFUSED', async () => `redis://127.0.0.1:${await freePort()}`],
    ['an unresolvable host', 'ENOTFOUND', async () => 'redis://nohost.invalid:6379'],
  ] as const) {
    it(`${label}: store and cache errors name ${reason}`, async () => {
      const store = redisStore({ url: await url() });
      const cache = createCache({ store, onError: 'throw', breaker: false, storeTimeout: '5s' });
      try {
        // "offline", not node-redis's "The client is closed": the store
        // reconnects its client itself, and node-redis keeps it closed between
        // two attempts (see reconnect-loop.ts).
        const offline = /client is offline/;
        await assert.rejects(store.set('k', Buffer.from('v'), 1_000), namesReason(reason, offline));
        await assert.rejects(cache.get('k'), namesReason(reason, offline));
        await assert.rejects(cache.set('k', 'v'), namesReason(reason, offline));
      } finally {
        await cache.close();
      }
    });

    it(`${label}: ready() rejects within its timeout, naming ${reason}`, async () => {
      const store = redisStore({ url: await url(), readyTimeout: 300 });
      const startedAt = performance.now();
      try {
        await assert.rejects(store.ready(), namesReason(reason));
        const elapsedMs = performance.now() - startedAt;
        console.log(`ready() rejected after ${Math.round(elapsedMs)} ms (readyTimeout 300 ms)`);
        assert.ok(elapsedMs < 5_000, `ready() took ${elapsedMs} ms`);
      } finally {
        await store.close();
      }
    });
  }
});
