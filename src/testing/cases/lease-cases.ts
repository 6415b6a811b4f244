/**
 * Leases, the store primitive behind cluster-wide single flight: one holder at
 * a time, release only by the holder's token, takeover after the TTL. A store
 * without `acquireLease` passes them trivially (core then keeps single flight
 * within the process).
 */
import assert from 'node:assert/strict';
import type { Store } from '../../core/store.js';
import { rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';
import type { Harness } from '../harness.js';

type LeaseStore = Store & Required<Pick<Store, 'acquireLease' | 'releaseLease'>>;

/** The store when it has leases, else `undefined`. */
function leaseStore(h: Harness): LeaseStore | undefined {
  const { store } = h;
  return store.acquireLease === undefined || store.releaseLease === undefined
    ? undefined
    : (store as LeaseStore);
}

/** A lease key as core builds them: `prefix#L…`, which no user key can produce. */
const leaseKey = (h: Harness, name: string): string => `${h.prefix}#L${name}`;

/** Lease cases. */
export const leaseCases = defineCases('leases', {
  async 'one holder at a time, until it releases'(h) {
    const store = leaseStore(h);
    if (store === undefined) return;
    const key = leaseKey(h, 'one');
    assert.equal(await store.acquireLease(key, 'token-a', 5_000), true);
    assert.equal(await store.acquireLease(key, 'token-b', 5_000), false);
    assert.equal(await store.acquireLease(key, 'token-a', 5_000), false, 'not re-entrant');
    assert.equal(await store.releaseLease(key, 'token-a'), true);
    assert.equal(await store.acquireLease(key, 'token-b', 5_000), true);
    assert.equal(await store.releaseLease(key, 'token-b'), true);
  },

  async 'only the token that holds a lease releases it'(h) {
    const store = leaseStore(h);
    if (store === undefined) return;
    const key = leaseKey(h, 'token');
    await store.acquireLease(key, 'token-a', 5_000);
    assert.equal(await store.releaseLease(key, 'token-b'), false);
    assert.equal(await store.acquireLease(key, 'token-b', 5_000), false, 'still held');
    assert.equal(await store.releaseLease(key, 'token-a'), true);
    assert.equal(await store.releaseLease(key, 'token-a'), false, 'already released');
    assert.equal(await store.releaseLease(leaseKey(h, 'never'), 'token-a'), false);
  },

  async 'a lease ends with its TTL: another takes it, and the old token releases nothing'(h) {
    const store = leaseStore(h);
    if (store === undefined) return;
    const key = leaseKey(h, 'expiry');
    assert.equal(await store.acquireLease(key, 'token-a', 100), true);
    await h.wait(200);
    assert.equal(await store.acquireLease(key, 'token-b', 5_000), true);
    assert.equal(await store.releaseLease(key, 'token-a'), false, 'must not release the new holder');
    assert.equal(await store.releaseLease(key, 'token-b'), true);
  },

  async 'only the holder renews a lease, and a renewed lease outlives its first TTL'(h) {
    const store = leaseStore(h);
    if (store === undefined || store.renewLease === undefined) return;
    const key = leaseKey(h, 'renew');
    assert.equal(await store.acquireLease(key, 'token-a', 150), true);
    assert.equal(await store.renewLease(key, 'token-b', 5_000), false, 'not the holder');
    assert.equal(await store.renewLease(key, 'token-a', 5_000), true);
    await h.wait(300);
    assert.equal(await store.acquireLease(key, 'token-b', 5_000), false, 'still held past the first TTL');
    assert.equal(await store.releaseLease(key, 'token-a'), true);
    assert.equal(await store.renewLease(key, 'token-a', 5_000), false, 'released: nothing to renew');
    assert.equal(await store.renewLease(leaseKey(h, 'never'), 'token-a', 5_000), false);
  },

  async 'of many concurrent attempts, exactly one wins'(h) {
    const store = leaseStore(h);
    if (store === undefined) return;
    const key = leaseKey(h, 'race');
    const attempts = Array.from({ length: 20 }, (_, i) => store.acquireLease(key, `token-${i}`, 5_000));
    const winners = (await Promise.all(attempts)).flatMap((won, i) => (won ? [i] : []));
    assert.equal(winners.length, 1);
    assert.equal(await store.releaseLease(key, `token-${winners[0]}`), true);
  },

  async 'a TTL that is not a positive finite number is E_INVALID_OPTION'(h) {
    const store = leaseStore(h);
    if (store === undefined) return;
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      // A memory store throws, a remote one rejects: both reach the caller as a rejection here.
      await rejectsWithCode(
        (async () => store.acquireLease(leaseKey(h, 'bad'), 'token-a', ttlMs))(),
        'E_INVALID_OPTION',
        `ttlMs ${ttlMs}`,
      );
    }
    assert.equal(await store.acquireLease(leaseKey(h, 'bad'), 'token-a', 5_000), true, 'nothing was taken');
    await store.releaseLease(leaseKey(h, 'bad'), 'token-a');
  },
});
