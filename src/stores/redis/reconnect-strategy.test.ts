import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconnectStrategy } from './reconnect-strategy.js';

describe('reconnectStrategy', () => {
  it('doubles from the initial delay, half fixed and half jitter', () => {
    const low = reconnectStrategy({ initialDelay: 100, maxDelay: 10_000, random: () => 0 });
    const high = reconnectStrategy({ initialDelay: 100, maxDelay: 10_000, random: () => 0.999_999 });
    assert.deepEqual([0, 1, 2, 3].map(low), [50, 100, 200, 400]);
    assert.deepEqual([0, 1, 2, 3].map(high), [100, 200, 400, 800]);
  });

  it('never waits longer than maxDelay, however many retries failed', () => {
    const strategy = reconnectStrategy({ initialDelay: 50, maxDelay: 2000, random: () => 0.999_999 });
    for (const retries of [10, 31, 100, 10_000]) {
      const delay = strategy(retries);
      assert.ok(delay <= 2000 && delay >= 1000, `retry ${retries}: ${delay}`);
    }
  });

  it('has defaults of 50 ms growing to at most 2 s', () => {
    const strategy = reconnectStrategy({ random: () => 0 });
    assert.equal(strategy(0), 25);
    assert.equal(strategy(50), 1000);
  });

  it('spreads the delays when the randomness is real', () => {
    const strategy = reconnectStrategy();
    const delays = new Set(Array.from({ length: 50 }, () => strategy(5)));
    assert.ok(delays.size > 5);
  });
});
