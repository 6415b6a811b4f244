import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { decodeInvalidation, type InvalidationMessage } from './invalidation-message.js';
import { PublishQueue } from './publish-queue.js';
import { fakeClock, settle } from './test-support/tiered-fixture.js';
import { createCounters } from './tiered-stats.js';

function setup(maxPendingKeys = 100) {
  const clock = fakeClock();
  const counters = createCounters();
  const sent: InvalidationMessage[] = [];
  const control = { failing: false };
  const queue = new PublishQueue({
    publish: async (message) => {
      if (control.failing) throw new Error('publish failed');
      sent.push(decodeInvalidation(message) as InvalidationMessage);
    },
    origin: 'me',
    clock,
    random: () => 1, // the full delay: 100, 200, 400, ...
    retry: { initialDelayMs: 100, maxDelayMs: 1_000 },
    maxPendingKeys,
    maxAgeMs: 10_000,
    counters,
  });
  const keys = (...list: string[]) => ({ keys: list, prefixes: [], all: false });
  return { clock, counters, sent, control, queue, keys };
}

async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

describe('PublishQueue', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('keeps a failed invalidation, counts the open window, and publishes it again with backoff', async () => {
    const { queue, control, sent, counters, keys, clock } = setup();
    control.failing = true;
    await queue.send(keys('a'), clock.now());
    assert.equal(counters.publishFailures, 1);
    assert.equal(queue.unpublishedKeys, 1);
    assert.equal(queue.unpublishedAt, clock.now());
    await tick(100);
    assert.equal(counters.publishFailures, 2, 'first retry after 100 ms');
    await tick(199);
    assert.equal(counters.publishFailures, 2);
    await tick(1);
    assert.equal(counters.publishFailures, 3, 'second retry 200 ms later');
    control.failing = false;
    await tick(400);
    assert.deepEqual(
      sent.map((m) => m.keys),
      [['a']],
    );
    assert.equal(sent[0]?.sentAt, clock.now(), 'the original sent-at instant: the lag shows the window');
    assert.equal(queue.unpublishedKeys, 0);
    assert.equal(queue.unpublishedAt, undefined);
  });

  it('merges failures into one backlog message, and sends it as soon as a publish succeeds again', async () => {
    const { queue, control, sent, keys, clock } = setup();
    control.failing = true;
    await queue.send(keys('a', 'b'), clock.now());
    await queue.send({ keys: [], prefixes: ['p:'], all: false }, clock.now() + 1);
    control.failing = false;
    await queue.send(keys('c'), clock.now() + 2);
    await settle();
    assert.deepEqual(
      sent.map((m) => [m.keys, m.prefixes]),
      [
        [['c'], []],
        [['a', 'b'], ['p:']],
      ],
    );
    assert.equal(queue.unpublishedKeys, 0);
  });

  it('collapses a backlog past maxPendingKeys into one "drop everything"', async () => {
    const { queue, control, sent, counters, keys, clock } = setup(3);
    control.failing = true;
    await queue.send(keys('a', 'b'), clock.now());
    await queue.send(keys('c', 'd'), clock.now());
    assert.equal(counters.publishesCollapsed, 1);
    assert.equal(queue.unpublishedKeys, 4);
    control.failing = false;
    await tick(100);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.all, true);
  });

  it('drops a backlog older than maxAgeMs unsent: every copy it targeted has expired', async () => {
    const { queue, control, sent, counters, keys, clock } = setup();
    control.failing = true;
    await queue.send(keys('a'), clock.now());
    clock.advance(10_001);
    control.failing = false;
    await tick(100);
    assert.equal(sent.length, 0);
    assert.equal(counters.publishesExpired, 1);
    assert.equal(queue.unpublishedKeys, 0);
  });

  it('close() makes one last attempt at the backlog, then stops', async () => {
    const { queue, control, sent, keys, clock } = setup();
    control.failing = true;
    await queue.send(keys('a'), clock.now());
    control.failing = false;
    await queue.close(500);
    assert.deepEqual(
      sent.map((m) => m.keys),
      [['a']],
    );
    await queue.send(keys('b'), clock.now());
    assert.equal(sent.length, 1, 'nothing after close');
  });
});
