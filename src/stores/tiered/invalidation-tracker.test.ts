import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidationTracker } from './invalidation-tracker.js';

describe('InvalidationTracker', () => {
  it('sees an invalidation of the key after the snapshot, not before it, and not of other keys', () => {
    const tracker = new InvalidationTracker(100);
    const other = tracker.begin(); // keeps the record alive
    tracker.invalidate('k');
    const snapshot = tracker.begin();
    assert.equal(tracker.changedSince('k', snapshot), false, 'invalidated before the snapshot');
    tracker.invalidate('x');
    assert.equal(tracker.changedSince('k', snapshot), false, 'another key');
    tracker.invalidate('k');
    assert.equal(tracker.changedSince('k', snapshot), true);
    tracker.end();
    tracker.end();
    assert.equal(other, 0);
  });

  it('sees prefix invalidations and invalidateAll', () => {
    const tracker = new InvalidationTracker(100);
    const snapshot = tracker.begin();
    tracker.invalidatePrefix('p:');
    assert.equal(tracker.changedSince('p:1', snapshot), true);
    assert.equal(tracker.changedSince('q:1', snapshot), false);
    const later = tracker.begin();
    tracker.invalidateAll();
    assert.equal(tracker.changedSince('q:1', later), true);
    assert.equal(tracker.changedSince('q:1', tracker.begin()), false, 'a snapshot after it');
  });

  it('forgets everything once no operation is in flight', () => {
    const tracker = new InvalidationTracker(100);
    tracker.begin();
    tracker.invalidate('a');
    tracker.invalidatePrefix('p');
    assert.equal(tracker.size, 2);
    tracker.end();
    assert.equal(tracker.size, 0);
    tracker.invalidate('b'); // nobody in flight: not even recorded
    assert.equal(tracker.size, 0);
  });

  it('stays bounded under constant concurrency, turning conservative (never unsafe) past the bound', () => {
    const tracker = new InvalidationTracker(3);
    const snapshot = tracker.begin();
    tracker.invalidate('k');
    for (const key of ['a', 'b', 'c', 'd']) tracker.invalidate(key);
    assert.equal(tracker.size, 3);
    assert.equal(tracker.changedSince('k', snapshot), true, 'k was folded into the floor');
    assert.equal(tracker.changedSince('never-touched', snapshot), true, 'conservative for any key');
    const fresh = tracker.begin();
    assert.equal(tracker.changedSince('never-touched', fresh), false, 'a later snapshot is unaffected');
  });

  it('bounds prefix marks the same way', () => {
    const tracker = new InvalidationTracker(3);
    const snapshot = tracker.begin();
    for (let i = 0; i < 100; i++) tracker.invalidatePrefix(`p${i}:`);
    assert.ok(tracker.size <= 64);
    assert.equal(tracker.changedSince('zzz', snapshot), true);
  });
});
