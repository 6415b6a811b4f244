/** Leases of the memory store, on a fake clock: exclusivity, expiry, release by the holder only, and isolation from the LRU. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { memoryLeases } from './memory-leases.js';
import { memoryStore } from './memory-store.js';

function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number): void {
      now += ms;
    },
  };
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('memoryStore leases', () => {
  it('one holder at a time; others get false until it is released', () => {
    const store = memoryStore({ clock: fakeClock() });
    assert.equal(store.acquireLease('app#Lk', 'a', 1000), true);
    assert.equal(store.acquireLease('app#Lk', 'b', 1000), false);
    assert.equal(store.acquireLease('app#Lk', 'a', 1000), false, 'not re-entrant, even for the holder');
    assert.equal(store.releaseLease('app#Lk', 'a'), true);
    assert.equal(store.acquireLease('app#Lk', 'b', 1000), true);
  });

  it('only the token that holds a lease releases it', () => {
    const store = memoryStore({ clock: fakeClock() });
    store.acquireLease('app#Lk', 'a', 1000);
    assert.equal(store.releaseLease('app#Lk', 'b'), false);
    assert.equal(store.acquireLease('app#Lk', 'b', 1000), false, 'still held by a');
    assert.equal(store.releaseLease('app#Lk', 'a'), true);
    assert.equal(store.releaseLease('app#Lk', 'a'), false, 'already released');
    assert.equal(store.releaseLease('app#Lnever', 'a'), false);
  });

  it('expires after its TTL on the store clock; the old holder can then release nothing', () => {
    const clock = fakeClock();
    const store = memoryStore({ clock });
    store.acquireLease('app#Lk', 'a', 1000);
    clock.advance(999);
    assert.equal(store.acquireLease('app#Lk', 'b', 1000), false);
    clock.advance(1);
    assert.equal(store.acquireLease('app#Lk', 'b', 1000), true, 'taken over at expiry');
    assert.equal(store.releaseLease('app#Lk', 'a'), false, 'the expired holder cannot release the new one');
    assert.equal(store.acquireLease('app#Lk', 'c', 1000), false);
    clock.advance(1000);
    assert.equal(store.releaseLease('app#Lk', 'b'), false, 'an expired lease is not released, it is gone');
    assert.equal(store.leases, 0);
  });

  it('rejects a TTL that is not a positive finite number with E_INVALID_OPTION', () => {
    const store = memoryStore({ clock: fakeClock() });
    for (const ttlMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => store.acquireLease('app#Lk', 'a', ttlMs),
        (error) => isLarderError(error, 'E_INVALID_OPTION'),
        String(ttlMs),
      );
    }
    assert.equal(store.leases, 0);
  });

  it('are not entries: not counted, never evicted by the LRU, untouched by clear(prefix); close drops them', async () => {
    const store = memoryStore({ clock: fakeClock(), maxEntries: 2 });
    store.acquireLease('app#Lk', 'a', 60_000);
    assert.equal(store.size, 0);
    assert.equal(store.get('app#Lk'), undefined, 'a lease is not readable as an entry');
    for (let i = 0; i < 10; i++) store.set(`app:1:k${i}`, bytes('v'), null);
    assert.equal(store.size, 2);
    await store.clear('app');
    assert.equal(store.acquireLease('app#Lk', 'b', 60_000), false, 'survived eviction and clear');
    assert.equal(store.leases, 1);
    await store.close();
    assert.equal(store.leases, 0);
    assert.equal(store.acquireLease('app#Lk', 'b', 60_000), true);
  });
});

describe('memoryLeases', () => {
  it('sweeps leases nobody touched again once the table doubles, keeping live ones', () => {
    const clock = fakeClock();
    const leases = memoryLeases(clock);
    for (let i = 0; i < 1023; i++) leases.acquire(`dead${i}`, 't', 10);
    leases.acquire('live', 't', 60_000);
    clock.advance(10);
    assert.equal(leases.size, 1024, 'expired leases stay until a sweep');
    leases.acquire('trigger', 't', 60_000);
    assert.equal(leases.size, 2, 'the sweep kept the two live leases only');
    assert.equal(leases.acquire('live', 'other', 1000), false);
  });
});
