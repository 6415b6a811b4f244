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

  describe('when the sweep runs late (our own event loop was blocked)', () => {
    /** A promise and the function that resolves it. */
    function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
      let resolve: (value: T) => void = () => {};
      const promise = new Promise<T>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    }
    const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    it('gives a reply that arrived during the stall one I/O turn before timing it out', async () => {
      const queue = new DeadlineQueue(100, () => now);
      const reply = deferred<string>();
      const seen: unknown[] = [];
      const raced = queue.race(reply.promise, 'get', (error) => {
        seen.push(error);
        return error;
      });
      // The loop is blocked for 300 ms: the timer due at 100 fires at 300.
      now = 300;
      mock.timers.tick(300);
      // The reply is read from the socket in the poll phase, before setImmediate callbacks.
      reply.resolve('value');
      assert.equal(await raced, 'value');
      await nextTurn();
      assert.deepEqual(seen, [undefined], 'a success, never a timeout');
    });

    it('times out what is still pending after that turn, flagged as a stall', async () => {
      const queue = new DeadlineQueue(100, () => now);
      const flags: unknown[] = [];
      const raced = queue
        .race(new Promise<never>(() => {}), 'get', (error, _operation, stalled) => {
          flags.push(stalled);
          return error;
        })
        .catch((error: unknown) => error);
      now = 300;
      mock.timers.tick(300);
      assert.deepEqual(flags, [], 'nothing is rejected inside the late sweep itself');
      await nextTurn(); // the queue's own turn is unref'd: keep the loop alive past it
      const error = await raced;
      assert.ok(error instanceof LarderError);
      assert.equal(error.code, 'E_TIMEOUT');
      assert.match(error.message, /event loop was blocked/);
      assert.deepEqual(flags, [true]);
    });

    it('a sweep late by at most half the timeout is on time: rejects at once, not a stall', async () => {
      const queue = new DeadlineQueue(100, () => now);
      const flags: unknown[] = [];
      const raced = queue
        .race(new Promise<never>(() => {}), 'get', (error, _operation, stalled) => {
          flags.push(stalled);
          return error;
        })
        .catch(() => {});
      now = 150;
      mock.timers.tick(150);
      assert.deepEqual(flags, [false], 'rejected inside the sweep');
      await raced;
    });

    it('only deadlines that passed during the stall are stall timeouts', async () => {
      const queue = new DeadlineQueue(100, () => now);
      const flags = new Map<string, unknown>();
      const track = (name: string) =>
        queue
          .race(new Promise<never>(() => {}), name, (error, operation, stalled) => {
            flags.set(operation, stalled);
            return error;
          })
          .catch(() => {});
      const a = track('a'); // deadline 100
      now = 260;
      const b = track('b'); // deadline 360
      now = 355;
      mock.timers.tick(355); // the sweep runs 255 ms late, at 355
      now = 365; // by the I/O turn, b's deadline has passed too, but not during the stall
      await nextTurn();
      await Promise.all([a, b]);
      assert.deepEqual(
        [...flags],
        [
          ['a', true],
          ['b', false],
        ],
      );
    });

    it('measures lateness on the precise clock: a coarse reading is as old as the stall', async () => {
      let precise = 0;
      const queue = new DeadlineQueue(
        100,
        () => now,
        () => precise,
      );
      const flags: unknown[] = [];
      const raced = queue
        .race(new Promise<never>(() => {}), 'get', (error, _operation, stalled) => {
          flags.push(stalled);
          return error;
        })
        .catch(() => {});
      // The coarse clock was last read before the stall and still says 100.
      now = 100;
      precise = 300;
      mock.timers.tick(300);
      assert.deepEqual(flags, [], 'deferred to the next turn, not rejected on the stale reading');
      await nextTurn();
      await raced;
      assert.deepEqual(flags, [true]);
    });

    it('close() cancels a pending late-sweep turn', async () => {
      const queue = new DeadlineQueue(100, () => now);
      const flags: unknown[] = [];
      void queue.race(new Promise<never>(() => {}), 'get', (error, _operation, stalled) => {
        flags.push(stalled);
        return error;
      });
      now = 300;
      mock.timers.tick(300);
      queue.close();
      await nextTurn();
      await nextTurn();
      assert.deepEqual(flags, []);
    });
  });
});
