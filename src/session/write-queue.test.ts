import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteQueue } from './write-queue.js';

describe('WriteQueue: one session’s writes in turn', () => {
  it('runs the writes of one key one after another, in order, a failure not stopping the next', async () => {
    const queue = new WriteQueue();
    const log: string[] = [];
    const write =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      queue.inTurn('k', write('a')),
      queue.inTurn('k', write('b', true)),
      queue.inTurn('k', write('c')),
    ]);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  it('lets writes of other keys run at the same time', async () => {
    const queue = new WriteQueue();
    let inFlight = 0;
    let most = 0;
    const write = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
    };
    await Promise.all(['a', 'b', 'c'].map((key) => queue.inTurn(key, write)));
    assert.equal(most, 3);
  });
});
