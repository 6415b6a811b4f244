import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { coarseClock } from './coarse-clock.js';

describe('coarseClock', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('reads the source once per resolution window', () => {
    let reads = 0;
    let source = 100;
    const now = coarseClock(() => {
      reads++;
      return source;
    }, 1);
    assert.equal(now(), 100);
    source = 105;
    assert.equal(now(), 100, 'reused within the window');
    assert.equal(reads, 1);
    mock.timers.tick(1);
    assert.equal(now(), 105, 'fresh after the window');
    assert.equal(reads, 2);
  });
});
