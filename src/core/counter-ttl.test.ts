import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/index.js';
import { COUNTER_MARGIN_MS } from './counter-ttl.js';

const HOUR_MS = 3_600_000;

function setup() {
  const clock = { now: () => 1_000_000 };
  const store = memoryStore({ clock });
  const cache = createCache({ store, clock, prefix: 'ct', defaultTtl: '1m' });
  return { clock, store, cache };
}

describe('counter TTLs', () => {
  it('a tag counter gets a TTL that outlives its entries, and is extended by longer ones, never shortened', async () => {
    const { store, cache } = setup();
    await cache.set('short', 1, { tags: ['user:1'], ttl: '1m' });
    assert.equal(store.ttl?.('ct#T:user:1'), 60_000 + COUNTER_MARGIN_MS);
    await cache.getOrSet('long', () => 2, { tags: ['user:1'], ttl: '1d', grace: '1h' });
    await cache.idle();
    assert.equal(store.ttl?.('ct#T:user:1'), 86_400_000 + HOUR_MS + COUNTER_MARGIN_MS);
    await cache.set('short2', 3, { tags: ['user:1'], ttl: '1s' });
    assert.equal(store.ttl?.('ct#T:user:1'), 86_400_000 + HOUR_MS + COUNTER_MARGIN_MS, 'not shortened');
    await cache.set('forever', 4, { tags: ['user:1'], ttl: 'forever' });
    assert.equal(store.ttl?.('ct#T:user:1'), null, "a 'forever' entry makes its counter forever");
  });

  it('an invalidation that finds no counter creates one that expires', async () => {
    const { store, cache } = setup();
    await cache.invalidateTags(['nobody']);
    assert.equal(store.ttl?.('ct#T:nobody'), COUNTER_MARGIN_MS);
  });

  it('a namespace counter expires, extended by every write in the namespace', async () => {
    const { store, cache } = setup();
    const ns = cache.namespace('users').namespace('42');
    assert.equal(await ns.get('x'), undefined);
    assert.equal(store.ttl?.('ct/users#'), COUNTER_MARGIN_MS, 'created by a read: the margin');
    await ns.set('x', 1, { ttl: '1d' });
    await cache.idle();
    assert.equal(store.ttl?.('ct/users#'), 86_400_000 + COUNTER_MARGIN_MS, 'the parent too');
    await ns.setMany({ y: 2 }, { ttl: 'forever' });
    await cache.idle();
    assert.equal(store.ttl?.('ct/users#'), null);
  });

  it('an expired counter never makes an old entry valid again', async () => {
    const { clock, store, cache } = setup();
    let now = 1_000_000;
    clock.now = () => now;
    await cache.set('k', 'old', { tags: ['t'], ttl: '1h' });
    await cache.invalidateTags(['t']);
    assert.equal(await cache.get('k'), undefined, 'invalidated');
    // The counter expires (here: by hand, as eviction would do it too) while the entry lives.
    store.delete('ct#T:t');
    assert.equal(await cache.get('k'), undefined, 'a missing counter is invalid');
    await cache.set('other', 1, { tags: ['t'] }); // re-creates the counter, from a new seed
    assert.equal(await cache.get('k'), undefined, 'the re-created counter does not revive it');
    assert.equal(await cache.get('other'), 1);
    // And by time: past the counter's TTL (the entry's own is longer, set by hand).
    now += 60_000 + COUNTER_MARGIN_MS + 1;
    assert.equal(store.ttl?.('ct#T:t'), undefined, 'the counter expired');
    // A namespace whose counter expires: its keys are unreachable, not revived.
    const ns = cache.namespace('n');
    await ns.set('a', 1, { ttl: '1m' });
    store.delete('ct/n#');
    assert.equal(await ns.get('a'), undefined);
  });
});
