import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from './circuit-breaker.js';

function fakeClock() {
  const clock = { at: 0, now: () => clock.at };
  return clock;
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not after N failures with a success between', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker(3, 1000, clock);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    assert.equal(breaker.state, 'closed');
    breaker.failure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(), false);
  });

  it('lets exactly one probe through after openMs; its success closes the breaker', () => {
    const clock = fakeClock();
    const states: string[] = [];
    const breaker = new CircuitBreaker(1, 1000, clock);
    breaker.onChange = (state) => states.push(state);
    breaker.failure();
    clock.at = 999;
    assert.equal(breaker.allow(), false);
    clock.at = 1000;
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.allow(), true, 'the probe');
    assert.equal(breaker.allow(), false, 'only one probe at a time');
    breaker.success();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.allow(), true);
    assert.deepEqual(states, ['open', 'half-open', 'closed']);
  });

  it('reopens for another openMs when the probe fails', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker(5, 1000, clock);
    for (let i = 0; i < 5; i++) breaker.failure();
    clock.at = 1000;
    assert.equal(breaker.allow(), true);
    breaker.failure();
    assert.equal(breaker.state, 'open');
    clock.at = 1999;
    assert.equal(breaker.allow(), false);
    clock.at = 2000;
    assert.equal(breaker.allow(), true);
  });

  it('release() frees the probe slot and stays half-open: the next call probes', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker(1, 1000, clock);
    breaker.failure();
    clock.at = 1000;
    assert.equal(breaker.allow(), true);
    assert.equal(breaker.probing, true);
    breaker.release();
    assert.equal(breaker.probing, false);
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.allow(), true, 'a new probe');
    assert.equal(breaker.allow(), false, 'still one at a time');
  });
});
