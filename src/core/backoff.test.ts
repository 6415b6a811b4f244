import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from the initial delay up to the maximum, without jitter when given no random', () => {
    const delays = { initialDelayMs: 50, maxDelayMs: 400 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, delays)),
      [50, 100, 200, 400, 400, 400],
    );
  });

  it('is the same sequence as doubling a delay and capping it each time (the loops it replaced)', () => {
    for (const [initialDelayMs, maxDelayMs] of [
      [100, 10_000],
      [50, 1_000],
      [1_000, 1_000],
      [3, 7],
    ] as const) {
      let delayMs: number = initialDelayMs;
      for (let attempt = 0; attempt < 40; attempt++) {
        assert.equal(backoffDelayMs(attempt, { initialDelayMs, maxDelayMs }), delayMs);
        delayMs = Math.min(delayMs * 2, maxDelayMs);
      }
    }
  });

  it('with random, waits 50–100% of each step ("equal jitter")', () => {
    const delays = { initialDelayMs: 100, maxDelayMs: 10_000 };
    assert.equal(backoffDelayMs(3, { ...delays, random: () => 0 }), 400);
    assert.equal(backoffDelayMs(3, { ...delays, random: () => 1 }), 800);
    assert.equal(backoffDelayMs(3, { ...delays, random: () => 0.5 }), 600);
  });

  it('never overflows, however many attempts failed', () => {
    for (const attempt of [31, 100, 10_000, Number.MAX_SAFE_INTEGER])
      assert.equal(backoffDelayMs(attempt, { initialDelayMs: 50, maxDelayMs: 2_000 }), 2_000);
  });
});
