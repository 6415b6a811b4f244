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

  it('a write skips the extension while the last one still covers it with half the margin to spare', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const store = memoryStore({ clock });
    let extensions = 0;
    const extendTtl = store.extendTtl?.bind(store);
    assert.ok(extendTtl);
    store.extendTtl = (key, ttlMs) => {
      extensions++;
      return extendTtl(key, ttlMs);
    };
    const cache = createCache({ store, clock, prefix: 'ct', defaultTtl: '1m' });
    await cache.set('a', 1, { tags: ['t'] });
    assert.equal(extensions, 1);
    for (let i = 0; i < 10; i++) await cache.set(`b${i}`, i, { tags: ['t'] });
    assert.equal(extensions, 1, 'nine writes within the margin: no round trip');
    now += COUNTER_MARGIN_MS / 2; // the last extension covers a 1 min entry with exactly half the margin to spare
    await cache.set('c', 1, { tags: ['t'] });
    assert.equal(extensions, 1);
    now += 1;
    await cache.set('d', 1, { tags: ['t'] });
    assert.equal(extensions, 2, 'less than half the margin to spare: extended');
    assert.equal(store.ttl?.('ct#T:t'), 60_000 + COUNTER_MARGIN_MS);
    await cache.set('e', 1, { tags: ['t'], ttl: '1d' });
    assert.equal(extensions, 3, 'a longer entry than the last extension covers');
    await cache.set('f', 1, { tags: ['t'], ttl: 'forever' });
    await cache.set('g', 1, { tags: ['t'], ttl: 'forever' });
    assert.equal(extensions, 4, 'forever once');
    assert.equal(store.ttl?.('ct#T:t'), null);
    // Re-seeded by this process (no counter to increment): its life starts again, and the next write extends it.
    store.delete('ct#T:t');
    await cache.invalidateTags(['t']);
    assert.equal(store.ttl?.('ct#T:t'), COUNTER_MARGIN_MS);
    await cache.set('h', 1, { tags: ['t'], ttl: 'forever' });
    assert.equal(extensions, 5);
    assert.equal(store.ttl?.('ct#T:t'), null);
  });
});
