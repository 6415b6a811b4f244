import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { DeadlineQueue } from './deadline-queue.js';
import { LarderError } from './errors.js';

describe('DeadlineQueue', () => {
  let now = 0;
  beforeEach(() => {
    now = 0;
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());

  function advance(ms: number): Promise<void> {
    now += ms;
    mock.timers.tick(ms);
    return new Promise((resolve) => setImmediate(resolve));
  }

  it('passes through a value that arrives in time, and reports success', async () => {
    const queue = new DeadlineQueue(100, () => now);
    const outcomes: unknown[] = [];
    const value = await queue.race(Promise.resolve(42), 'get', (error) => {
      outcomes.push(error);
      return error;
    });
    assert.equal(value, 42);
    assert.deepEqual(outcomes, [undefined]);
  });

  it('rejects with E_TIMEOUT once the deadline passes, and ignores the late answer', async () => {
    const queue = new DeadlineQueue(100, () => now);
    let release: (value: string) => void = () => {};
    const never = new Promise<string>((resolve) => {
      release = resolve;
    });
    const seen: unknown[] = [];
    const raced = queue.race(never, 'get', (error) => {
      seen.push(error);
      return error;
    });
    const settled = raced.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await advance(99);
    assert.equal(seen.length, 0);
    await advance(2);
    const error = await settled;
    assert.ok(error instanceof LarderError);
    assert.equal(error.code, 'E_TIMEOUT');
    assert.match(error.message, /get took longer than 100 ms/);
    release('late');
    await advance(1);
    assert.equal(seen.length, 1, 'the late answer is not reported again');
  });

  it('times out many operations with one timer, each at its own deadline', async () => {
    const queue = new DeadlineQueue(100, () => now);
    const hang = () => new Promise<never>(() => {});
    const results: string[] = [];
    const track = (name: string) =>
      queue
        .race(hang(), name, (e) => e)
        .catch(() => {
          results.push(name);
        });
    const a = track('a');
    await advance(50);
    const b = track('b');
    await advance(51);
    await a;
    assert.deepEqual(results, ['a']);
    await advance(50);
    await b;
    assert.deepEqual(results, ['a', 'b']);
  });

  it('maps the error through the settle callback', async () => {
    const queue = new DeadlineQueue(100, () => now);
    const error = await queue
      .race(Promise.reject(new Error('boom')), 'set', () => new LarderError('E_STORE', 'mapped'))
      .catch((e: unknown) => e);
    assert.ok(error instanceof LarderError);
    assert.equal(error.message, 'mapped');
  });
});
