/**
 * The guard's rules for what counts with the breaker: stall timeouts do not,
 * synchronous answers are neutral (and free the probe slot), an open breaker is
 * asked once per call, and unhealthy failures reach the store's `noteFailure`.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { DeadlineQueue } from './deadline-queue.js';
import { LarderError } from './errors.js';
import { resolveOptions } from './options.js';
import type { MaybePromise, Store } from './store.js';
import { StoreGuard, zeroCounters } from './store-guard.js';

const counters = zeroCounters;

/** A store whose `get` answers with whatever `answer` returns; every other method is unused. */
function scriptedStore(answer: () => MaybePromise<Uint8Array | null | undefined>) {
  const noted: LarderError[] = [];
  const calls = { get: 0 };
  const store: Store = {
    name: 'scripted',
    get: () => {
      calls.get++;
      return answer();
    },
    set: () => undefined,
    add: () => 'stored',
    delete: () => false,
    clear: () => Promise.resolve(),
    noteFailure: (error) => {
      noted.push(error);
    },
  };
  return { store, noted, calls };
}

const VALUE = new Uint8Array([1]);
const hang = (): Promise<never> => new Promise<never>(() => {});
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StoreGuard', () => {
  let now = 0;
  let clock = { at: 0, now: () => clock.at };
  beforeEach(() => {
    now = 0;
    clock = { at: 0, now: () => clock.at };
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());

  function setup(store: Store, failureThreshold = 1) {
    const options = resolveOptions(
      { store, clock, storeTimeout: 100, breaker: { failureThreshold, halfOpenAfter: 1000 } },
      {},
    );
    const count = counters();
    const guard = new StoreGuard(options, count, { deadlines: new DeadlineQueue(100, () => now) });
    return { guard, count };
  }

  /** Open the breaker with one connection error (threshold 1), then wait out halfOpenAfter. */
  async function openThenHalfOpen(guard: StoreGuard, fail: { on: boolean }): Promise<void> {
    fail.on = true;
    await assert.rejects(Promise.resolve(guard.get('k', undefined)), { code: 'E_STORE' });
    fail.on = false;
    assert.equal(guard.state, 'open');
    clock.at += 1000;
    assert.equal(guard.state, 'half-open');
  }

  describe('event-loop stalls', () => {
    it('a timeout during our own stall rejects with E_TIMEOUT but does not count against the store', async () => {
      const { store, noted } = scriptedStore(hang);
      const { guard, count } = setup(store);
      const call = Promise.resolve(guard.get('k', undefined)).catch((error: unknown) => error);
      now = 300; // the loop was blocked: the sweep due at 100 runs at 300
      mock.timers.tick(300);
      await nextTurn();
      const error = await call;
      assert.ok(error instanceof LarderError && error.code === 'E_TIMEOUT');
      assert.equal(count.stallTimeouts, 1);
      assert.equal(count.timeouts, 0);
      assert.equal(guard.state, 'closed', 'the breaker did not hear of it');
      assert.deepEqual(noted, [], 'nor did the store');
    });

    it('a timeout on time counts: the breaker opens and the store hears of it', async () => {
      const { store, noted } = scriptedStore(hang);
      const { guard, count } = setup(store);
      const call = Promise.resolve(guard.get('k', undefined)).catch((error: unknown) => error);
      now = 101;
      mock.timers.tick(101);
      const error = await call;
      assert.ok(error instanceof LarderError && error.code === 'E_TIMEOUT');
      assert.equal(count.timeouts, 1);
      assert.equal(count.stallTimeouts, 0);
      assert.equal(guard.state, 'open');
      assert.deepEqual(
        noted.map((e) => e.code),
        ['E_TIMEOUT'],
      );
    });

    it('a stall timeout of the half-open probe frees the probe slot', async () => {
      const fail = { on: false, hang: false };
      const { store } = scriptedStore(() =>
        fail.on ? Promise.reject(new Error('ECONNRESET')) : fail.hang ? hang() : Promise.resolve(VALUE),
      );
      const { guard, count } = setup(store);
      await openThenHalfOpen(guard, fail);
      fail.hang = true;
      const probe = Promise.resolve(guard.get('k', undefined)).catch((error: unknown) => error);
      assert.throws(() => guard.get('k', undefined), { code: 'E_CIRCUIT_OPEN' }, 'one probe at a time');
      now = 300;
      mock.timers.tick(300);
      await nextTurn();
      assert.equal(((await probe) as LarderError).code, 'E_TIMEOUT');
      assert.equal(count.stallTimeouts, 1);
      assert.equal(guard.state, 'half-open', 'neither closed nor reopened');
      fail.hang = false;
      assert.equal(await guard.get('k', undefined), VALUE, 'the next call is the probe');
      assert.equal(guard.state, 'closed');
    });
  });

  describe('synchronous answers are neutral', () => {
    it('a synchronous hit (an L1) does not close a half-open breaker; the next async call probes', async () => {
      const fail = { on: false };
      let sync = false;
      const { store } = scriptedStore(() =>
        sync ? VALUE : fail.on ? Promise.reject(new Error('ECONNRESET')) : Promise.resolve(VALUE),
      );
      const { guard } = setup(store);
      await openThenHalfOpen(guard, fail);
      sync = true;
      assert.equal(guard.get('k', undefined), VALUE, 'the L1 hit is served');
      assert.equal(guard.state, 'half-open', 'and says nothing about L2');
      assert.equal(
        guard.run('get', () => VALUE),
        VALUE,
        'the probe slot was freed',
      );
      assert.equal(guard.state, 'half-open');
      sync = false;
      fail.on = true;
      await assert.rejects(Promise.resolve(guard.get('k', undefined)), { code: 'E_STORE' });
      assert.equal(guard.state, 'open', 'the asynchronous probe decides');
    });

    it('synchronous hits do not reset the count of consecutive failures', async () => {
      const fail = { on: true };
      let sync = false;
      const { store } = scriptedStore(() =>
        sync ? VALUE : fail.on ? Promise.reject(new Error('ECONNRESET')) : Promise.resolve(VALUE),
      );
      const { guard } = setup(store, 3);
      for (let i = 0; i < 3; i++) {
        if (i > 0) {
          sync = true;
          assert.equal(guard.get('k', undefined), VALUE);
          assert.equal(guard.state, 'closed');
        }
        sync = false;
        await assert.rejects(Promise.resolve(guard.get('k', undefined)), { code: 'E_STORE' });
      }
      assert.equal(guard.state, 'open', 'three failures in a row, L1 hits between them');
    });

    it('a synchronous server refusal is neutral too; a synchronous E_STORE still counts', () => {
      const { store } = scriptedStore(() => VALUE);
      const { guard } = setup(store, 1);
      assert.throws(
        () =>
          guard.run('set', () => {
            throw new LarderError('E_STORE_OOM', 'OOM');
          }),
        { code: 'E_STORE_OOM' },
      );
      assert.equal(guard.state, 'closed');
      assert.throws(
        () =>
          guard.run('set', () => {
            throw new Error('the client is closed');
          }),
        { code: 'E_STORE' },
      );
      assert.equal(guard.state, 'open');
    });
  });

  describe('get while the breaker is open', () => {
    it('asks the breaker once: a probe that falls due between two asks is not spent on nothing', async () => {
      const fail = { on: false };
      const { store, calls } = scriptedStore(() =>
        fail.on ? Promise.reject(new Error('ECONNRESET')) : Promise.resolve(VALUE),
      );
      const { guard, count } = setup(store);
      fail.on = true;
      await assert.rejects(Promise.resolve(guard.get('k', undefined)), { code: 'E_STORE' });
      const callsWhenOpened = calls.get;
      // halfOpenAfter runs out between one reading of the clock and the next.
      const readings = [999, 1000];
      clock.now = () => readings.shift() ?? 1000;
      assert.throws(
        () => guard.get('k', undefined),
        (error: unknown) => {
          assert.ok(error instanceof LarderError && error.code === 'E_CIRCUIT_OPEN');
          assert.ok(
            error.cause instanceof LarderError && error.cause.code === 'E_STORE',
            'caused by the failure',
          );
          return true;
        },
      );
      assert.equal(count.shortCircuited, 1);
      assert.equal(calls.get, callsWhenOpened, 'the store was not called');
      assert.equal(guard.state, 'half-open', 'the probe is still to come');
      fail.on = false;
      assert.equal(await guard.get('k', undefined), VALUE, 'and it reaches the store');
      assert.equal(guard.state, 'closed');
    });
  });

  describe('noteFailure', () => {
    it('hears of connection errors and timeouts, not of server refusals', async () => {
      const errors: Array<() => Error> = [
        () => new Error('ECONNRESET'),
        () => new LarderError('E_STORE_OOM', 'OOM command not allowed'),
        () => new LarderError('E_WRONG_TYPE', 'WRONGTYPE'),
        () => new LarderError('E_STORE', 'connection lost'),
      ];
      let next = 0;
      const { store, noted } = scriptedStore(() => Promise.reject((errors[next++] as () => Error)()));
      const { guard } = setup(store, 100);
      for (let i = 0; i < errors.length; i++)
        await assert.rejects(Promise.resolve(guard.get('k', undefined)));
      assert.deepEqual(
        noted.map((e) => e.code),
        ['E_STORE', 'E_STORE'],
      );
    });

    it('a hook that throws changes nothing: the caller gets the classified error, the breaker counts', async () => {
      const { store } = scriptedStore(() => Promise.reject(new Error('ECONNRESET')));
      store.noteFailure = () => {
        throw new Error('broken hook');
      };
      const { guard } = setup(store, 1);
      await assert.rejects(Promise.resolve(guard.get('k', undefined)), { code: 'E_STORE' });
      assert.equal(guard.state, 'open');
    });
  });
});
