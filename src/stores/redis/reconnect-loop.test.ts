import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ReconnectLoop, type RetryDelay } from './reconnect-loop.js';

/**
 * A node-redis client told not to retry (`reconnectStrategy: false`), as far
 * as the loop can see: a failed attempt emits 'error' after closing the client,
 * then rejects connect(); a lost connection closes it and emits 'error'.
 */
class FakeClient extends EventEmitter {
  isOpen = false;
  attempts = 0;
  /** What the next attempts do, in order; an attempt beyond the list fails. */
  outcomes: Array<'ready' | Error> = [];

  constructor() {
    super();
    // The store's and the bus's own listener, always there (an unheard 'error' throws).
    this.on('error', () => {});
  }

  connect(): Promise<unknown> {
    if (this.isOpen) return Promise.reject(new Error('Socket already opened'));
    this.isOpen = true;
    this.attempts++;
    const outcome = this.outcomes.shift() ?? refused();
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        if (outcome === 'ready') {
          this.emit('ready');
          resolve(this);
        } else {
          this.isOpen = false;
          this.emit('error', outcome);
          reject(outcome);
        }
      });
    });
  }

  /** A live connection drops. */
  lose(): void {
    this.isOpen = false;
    this.emit('error', new Error('Socket closed unexpectedly'));
  }
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
}

/** Let the fake's attempt (setImmediate) and the promise handlers run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(retryDelayMs: RetryDelay = (retries) => 100 * 2 ** retries) {
  const client = new FakeClient();
  const asked: number[] = [];
  const gaveUp: unknown[] = [];
  const loop = new ReconnectLoop(client, {
    retryDelayMs: (retries, cause) => {
      asked.push(retries);
      return retryDelayMs(retries, cause);
    },
    onGaveUp: (cause) => gaveUp.push(cause),
  });
  return { client, loop, asked, gaveUp };
}

async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

describe('ReconnectLoop', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('retries a failed first attempt after the backoff, until it connects', async () => {
    const { client, loop, asked } = setup();
    client.outcomes = [refused(), refused(), 'ready'];
    loop.start();
    await settle();
    assert.equal(client.attempts, 1);
    assert.equal(loop.waiting, true);
    await tick(99);
    assert.equal(client.attempts, 1);
    await tick(1);
    assert.equal(client.attempts, 2, 'second attempt after retryDelayMs(0) = 100 ms');
    await tick(200);
    assert.equal(client.attempts, 3, 'third after retryDelayMs(1) = 200 ms');
    assert.equal(client.isOpen, true);
    assert.equal(loop.waiting, false);
    assert.deepEqual(asked, [0, 1]);
  });

  it('after losing a live connection, tries once at once, then backs off from retryDelayMs(1)', async () => {
    const { client, loop, asked } = setup();
    client.outcomes = ['ready', refused(), refused(), 'ready'];
    loop.start();
    await settle();
    client.lose();
    assert.deepEqual(asked, [0], 'asked only whether to retry');
    await tick(0);
    assert.equal(client.attempts, 2, 'the first retry is immediate');
    await tick(199);
    assert.equal(client.attempts, 2);
    await tick(1);
    assert.equal(client.attempts, 3, 'then retryDelayMs(1) = 200 ms');
    await tick(400);
    assert.equal(client.attempts, 4);
    assert.equal(client.isOpen, true);
    assert.deepEqual(asked, [0, 1, 2]);
    // Connected again: the count starts over.
    client.outcomes = [refused()];
    client.lose();
    await tick(0);
    assert.deepEqual(asked, [0, 1, 2, 0, 1]);
  });

  it('stop() ends the wait: no further attempt', async () => {
    const { client, loop } = setup(() => 60_000);
    loop.start();
    await settle();
    assert.equal(loop.waiting, true);
    loop.stop();
    assert.equal(loop.waiting, false);
    await tick(120_000);
    assert.equal(client.attempts, 1);
  });

  it('an attempt that fails after stop() starts nothing', async () => {
    const { client, loop, gaveUp } = setup();
    loop.start();
    loop.stop();
    await tick(10_000);
    assert.equal(client.attempts, 1);
    assert.equal(loop.waiting, false);
    assert.deepEqual(gaveUp, []);
  });

  it('gives up when retryDelayMs answers false, once, after a failed attempt or a loss', async () => {
    const failing = setup(() => false);
    failing.loop.start();
    await settle();
    assert.equal(failing.gaveUp.length, 1);
    assert.equal((failing.gaveUp[0] as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    await tick(10_000);
    assert.equal(failing.client.attempts, 1);

    const lost = setup(() => false);
    lost.client.outcomes = ['ready'];
    lost.loop.start();
    await settle();
    lost.client.lose();
    lost.client.lose();
    await tick(10_000);
    assert.equal(lost.gaveUp.length, 1);
    assert.equal(lost.client.attempts, 1);
  });

  it('a connection lost before connect() resolved is retried all the same', async () => {
    const { client, loop, asked } = setup();
    // Ready, then lost in the same turn, before the loop hears that connect() resolved.
    client.once('ready', () => client.lose());
    client.outcomes = ['ready', 'ready'];
    loop.start();
    await settle();
    assert.deepEqual(asked, [0]);
    await tick(0);
    assert.equal(client.attempts, 2);
    assert.equal(client.isOpen, true);
  });

  it('ignores errors while the client is open: a failed PING, or node-redis retrying by itself', async () => {
    const { client, loop, asked, gaveUp } = setup(() => false);
    client.outcomes = ['ready'];
    loop.start();
    await settle();
    client.emit('error', new Error('PING failed'));
    await tick(10_000);
    assert.deepEqual(asked, []);
    assert.deepEqual(gaveUp, []);
    assert.equal(client.attempts, 1);
  });
});
