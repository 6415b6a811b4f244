/**
 * An unreachable Redis says why: a refused connection and an unknown host name
 * their cause (ECONNREFUSED, ENOTFOUND) in every error instead of only "The
 * client is offline"; `ready()` gives up after its timeout with that reason;
 * and a process that closes such a store exits promptly.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isLarderError } from '../../core/errors.js';
import { createCache } from '../../create-cache.js';
import { freePort } from '../../test-support/free-port.js';
import { runTsFile } from '../../test-support/run-ts-file.js';
import { redisStore } from './redis-store.js';

/** A failure that names `reason` in its message and carries the socket error as `cause`. */
function namesReason(reason: string) {
  return (error: unknown): boolean => {
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
        await assert.rejects(store.set('k', Buffer.from('v'), 1_000), namesReason(reason));
        await assert.rejects(cache.get('k'), namesReason(reason));
        await assert.rejects(cache.set('k', 'v'), namesReason(reason));
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

  it('a process that closes a store reconnecting to a dead port exits promptly', async () => {
    const child = fileURLToPath(new URL('./test-support/close-and-exit-child.ts', import.meta.url));
    const run = await runTsFile(child, {
      env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, WAIT_MS: '3000' },
      timeoutMs: 30_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const lingered = Number(/exit-after-close-ms=(\d+)/.exec(run.stdout)?.[1]);
    console.log(`the process exited ${lingered} ms after close() resolved`);
    // Loose on purpose (a shared machine); the point is "not seconds", see docs/stores.md.
    assert.ok(lingered < 3_000, `lingered ${lingered} ms after close()`);
  });
});
