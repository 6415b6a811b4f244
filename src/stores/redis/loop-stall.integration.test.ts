/**
 * Our own event loop stalls (a synchronous busy loop) while Redis is healthy and
 * its replies are already waiting in the socket: the shared deadline timer fires
 * late, but no call may time out because of it, nothing counts against the
 * store, and the breaker stays closed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { failureFixture, TIMEOUT_MS } from '../../test-support/failure-fixture.js';

/** Block the event loop for `ms` of real time. */
function busyLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: nothing else in this process may run
  }
}

const CALLS = 50;
const STALL_MS = 300;

describe('event-loop stall with calls in flight on a healthy Redis', () => {
  const fixture = failureFixture('loop-stall');

  it(`${CALLS} calls in flight, a ${STALL_MS} ms stall: every call resolves, nothing counts against the store`, async (t) => {
    const { cache, store } = fixture.makeCache('throw');
    await store.ready();
    const keys = Array.from({ length: CALLS }, (_, i) => `k${i}`);
    await cache.setMany(
      keys.map((key) => [key, `value of ${key}`] as const),
      { ttl: 60_000 },
    );
    const before = cache.stats();

    // Each get sends its command synchronously; node-redis writes them to the
    // socket in a setImmediate queued now, so the busy loop below (queued after
    // it, same check phase) starts once they are on the wire. Redis answers while
    // we spin; the replies wait in the socket, and the next loop turn starts with
    // the deadline timer, 3x past its deadline.
    const calls = keys.map((key) =>
      cache.get<string>(key).then(
        (value) => ({ key, value }),
        (error: unknown) => ({ key, error }),
      ),
    );
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        busyLoop(STALL_MS);
        resolve();
      }),
    );
    const results = await Promise.all(calls);

    const after = cache.stats();
    const failed = results.filter((result) => 'error' in result);
    t.diagnostic(
      `timeouts ${after.timeouts - before.timeouts}, stall timeouts ${after.stallTimeouts - before.stallTimeouts}, failed ${failed.length}/${CALLS}` +
        (failed[0] !== undefined && 'error' in failed[0] && isLarderError(failed[0].error)
          ? ` (first: ${failed[0].error.code}: ${failed[0].error.message})`
          : ''),
    );
    assert.equal(after.timeouts - before.timeouts, 0, 'no timeout counted against the store');
    assert.equal(after.breaker, 'closed');
    assert.deepEqual(
      results,
      keys.map((key) => ({ key, value: `value of ${key}` })),
      'every call resolved with its value',
    );
    assert.ok(STALL_MS > 2 * TIMEOUT_MS, 'the stall is well past the timeout');
    await cache.close();
  });
});
