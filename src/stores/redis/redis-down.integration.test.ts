/**
 * Redis dies mid-traffic (SIGKILL) and comes back: through `createCache`, every
 * call returns within the operation timeout, the breaker opens and then answers
 * in microseconds, `get` never throws under `degrade`, nothing is left
 * unhandled, and traffic recovers after a restart without a new cache.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLarderError, LarderError } from '../../core/errors.js';
import { failureFixture, SLACK_MS, TIMEOUT_MS } from '../../test-support/failure-fixture.js';
import { median, startTraffic, waitFor } from '../../test-support/traffic.js';

describe('Redis killed mid-traffic (SIGKILL), then restarted', () => {
  const fixture = failureFixture('redis-down');
  const { unhandled, makeCache } = fixture;
  const server = () => fixture.server();

  it('degrades within the timeout, opens the breaker, and recovers on the same cache', async (t) => {
    const { cache, store } = makeCache('degrade');
    await store.ready();
    const traffic = startTraffic(cache);
    try {
      // Healthy: values written by the loops are read back.
      await waitFor(() => cache.stats().hits > 50, 5000, 'hits while healthy');
      assert.equal(cache.stats().errors, 0);

      await server().kill();
      await waitFor(() => cache.stats().breaker === 'open', 2000, 'the breaker to open');
      await sleep(1000);
      const down = cache.stats();
      assert.ok(down.errors > 0, 'store failures were counted');
      assert.ok(down.shortCircuited > 0, 'calls were short-circuited while open');

      await server().restart(); // same port, empty
      const hitsAtRestart = cache.stats().hits;
      await waitFor(
        () => cache.stats().breaker === 'closed' && cache.stats().hits > hitsAtRestart + 50,
        10_000,
        'traffic to hit again after the restart',
      );
    } finally {
      await traffic.stop();
      await cache.close();
      await store.close();
    }

    const slowest = Math.max(...traffic.samples.map((sample) => sample.ms));
    assert.ok(slowest <= TIMEOUT_MS + SLACK_MS, `slowest call took ${slowest.toFixed(1)} ms`);
    assert.deepEqual(traffic.thrown, [], 'nothing throws under degrade');
    const whileOpen = traffic.samples
      .filter((sample) => sample.breaker === 'open')
      .map((sample) => sample.ms);
    t.diagnostic(
      `${traffic.samples.length} calls, slowest ${slowest.toFixed(1)} ms; ${whileOpen.length} while open, median ${median(whileOpen).toFixed(3)} ms`,
    );
    assert.ok(whileOpen.length > 100, `${whileOpen.length} calls while open`);
    // A sanity bound, not a benchmark: an open breaker answers without I/O, in
    // microseconds; a call that reached the store would wait out its timeout.
    assert.ok(
      median(whileOpen) < TIMEOUT_MS / 5,
      `median call while open: ${median(whileOpen).toFixed(3)} ms`,
    );
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });

  it("under onError: 'throw', rejects with E_STORE / E_TIMEOUT / E_CIRCUIT_OPEN, store errors with a cause", async (t) => {
    const { cache, store } = makeCache('throw');
    await store.ready();
    await cache.set('k1', 'v', { ttl: 60_000 });
    const traffic = startTraffic(cache, 'get');
    try {
      await sleep(200);
      assert.equal(traffic.thrown.length, 0, 'healthy calls do not throw');
      await server().kill();
      await waitFor(() => cache.stats().shortCircuited > 100, 3000, 'short-circuited calls');
    } finally {
      await traffic.stop();
      await cache.close();
      await store.close();
      await server().restart();
    }

    const codes = new Set<string>();
    for (const error of traffic.thrown) {
      assert.ok(error instanceof LarderError, `not a LarderError: ${String(error)}`);
      assert.ok(['E_STORE', 'E_TIMEOUT', 'E_CIRCUIT_OPEN'].includes(error.code), error.code);
      // Only store failures have an underlying error to carry; core raises
      // E_TIMEOUT and E_CIRCUIT_OPEN itself, without a cause (for now).
      if (error.code === 'E_STORE') {
        assert.ok(error.cause instanceof Error, 'E_STORE carries the client error');
      }
      codes.add(error.code);
    }
    assert.ok(codes.has('E_STORE') && codes.has('E_CIRCUIT_OPEN'), [...codes].join(', '));
    const slowest = Math.max(...traffic.samples.map((sample) => sample.ms));
    t.diagnostic(
      `${traffic.thrown.length} errors (${[...codes].join(', ')}), slowest call ${slowest.toFixed(1)} ms`,
    );
    assert.ok(slowest <= TIMEOUT_MS + SLACK_MS, `slowest call took ${slowest.toFixed(1)} ms`);
    assert.ok(traffic.thrown.every((error) => isLarderError(error)));
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });
});
