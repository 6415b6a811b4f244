/**
 * Data-dependency tags on the memory store: what a getOrSet factory (or a
 * collectDependencies function) reads through the cache becomes the stored
 * entry's dependencies — nested misses, hits, stale values, joined flights,
 * scopes of scopes — with the generations read before the data; the
 * born-invalid race (and the naive ordering failing it); counters of another
 * prefix ignored with a warning; the collected-tag limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { MAX_COLLECTED_TAGS } from './dependency-scope.js';
import { MAX_ENTRY_TAGS, MAX_TAGS } from './envelope.js';
import { isLarderError, WarningCodes } from './errors.js';
import type { Cache } from './types.js';

/** A table read through a cache, the way a cached SQL query reads one. */
function table(cache: Cache, name: string, rows: { value: number }) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    read: (id = 1) =>
      cache.getOrSet(
        `${name}:${id}`,
        () => {
          reads++;
          return `${name}${rows.value}`;
        },
        { tags: [name] },
      ),
  };
}

/** Warnings emitted while `fn` runs, by code. */
async function warningsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const codes: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code !== undefined) codes.push(warning.code);
  };
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', listener);
  }
  return codes;
}

describe('data-dependency tags', () => {
  it('a factory that reads two tagged values is invalidated by either tag, and not by a third', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps' });
    const a = { value: 1 };
    const b = { value: 1 };
    const ta = table(cache, 'a', a);
    const tb = table(cache, 'b', b);
    const tc = table(cache, 'c', { value: 1 });
    let computed = 0;
    const page = () =>
      cache.getOrSet('page', async () => {
        computed++;
        return `${await ta.read()}+${await tb.read()}`;
      });
    assert.equal(await page(), 'a1+b1');
    assert.equal(await page(), 'a1+b1');
    assert.equal(computed, 1);
    await tc.read();
    await cache.invalidateTags(['c']);
    assert.equal(await page(), 'a1+b1', 'a third table leaves it alone');
    assert.equal(computed, 1);
    a.value = 2;
    await cache.invalidateTags(['a']);
    assert.equal(await page(), 'a2+b1');
    b.value = 2;
    await cache.invalidateTags(['b']);
    assert.equal(await page(), 'a2+b2');
    assert.equal(computed, 3);
  });

  it('hits record too: a computation built from cached values depends on them', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-hit' });
    const a = { value: 1 };
    const ta = table(cache, 'a', a);
    await ta.read(); // warm: the outer computation below gets a hit
    await cache.set('note', 'n', { tags: ['notes'] });
    const reads = ta.reads;
    const page = () =>
      cache.getOrSet('page', async () => `${await ta.read()}/${await cache.get('note')}`, { tags: ['own'] });
    assert.equal(await page(), 'a1/n');
    assert.equal(ta.reads, reads, 'the inner read was a hit');
    a.value = 2;
    await cache.invalidateTags(['a']);
    assert.equal(await page(), 'a2/n', 'a getOrSet hit recorded its tags');
    await cache.set('note', 'm', { tags: ['notes'] });
    await cache.invalidateTags(['notes']);
    await cache.set('note', 'm', { tags: ['notes'] });
    assert.equal(await page(), 'a2/m', 'a get hit recorded its tags');
    const many = () =>
      cache.getOrSet('many', async () => [...(await cache.getMany(['note'])).values()].join());
    assert.equal(await many(), 'm');
    await cache.invalidateTags(['notes']);
    await cache.set('note', 'l', { tags: ['notes'] });
    assert.equal(await many(), 'l', 'a getMany hit recorded its tags');
    await cache.invalidateTags(['own']);
    assert.equal(await page(), 'a2/l', 'explicit tags keep working');
  });

  it('scopes nest: an invalidation three levels down reaches the outermost entry', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-nest' });
    const leaf = { value: 1 };
    const tl = table(cache, 'leaf', leaf);
    const middle = () => cache.getOrSet('middle', async () => `m(${await tl.read()})`);
    const outer = () => cache.getOrSet('outer', async () => `o(${await middle()})`);
    assert.equal(await outer(), 'o(m(leaf1))');
    leaf.value = 2;
    await cache.invalidateTags(['leaf']);
    assert.equal(await outer(), 'o(m(leaf2))');
    // Warm middle alone, then a cold outer: it depends on leaf through middle's hit.
    await cache.delete('outer');
    assert.equal(await outer(), 'o(m(leaf2))');
    leaf.value = 3;
    await cache.invalidateTags(['leaf']);
    assert.equal(await outer(), 'o(m(leaf3))');
  });

  it('born invalid: a write invalidated between the inner read and the outer store is never served', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-race' });
    const a = { value: 1 };
    const ta = table(cache, 'a', a);
    const write = async () => {
      a.value++;
      await cache.invalidateTags(['a']);
    };
    const value = await cache.getOrSet('page', async () => {
      const inner = await ta.read();
      await write(); // committed and invalidated before the outer value is stored
      return inner;
    });
    assert.equal(value, 'a1', 'the caller gets what it computed');
    assert.equal(await cache.get('page'), undefined, 'but it is born invalid');
    assert.equal(await cache.getOrSet('page', () => ta.read()), 'a2');
  });

  it('the naive ordering (generations read at store time) fails the same race', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-naive' });
    const a = { value: 1 };
    const ta = table(cache, 'a', a);
    const build = () =>
      cache.collectDependencies(async () => {
        const inner = await ta.read();
        a.value++;
        await cache.invalidateTags(['a']);
        return inner;
      });
    const naive = await build();
    await cache.set('naive', naive.value, { tags: naive.dependencies.tags }); // tags added after the fact
    assert.equal(await cache.get('naive'), 'a1', 'stale and served: the naive ordering has the race');
    const right = await build();
    await cache.set('right', right.value, { dependencies: right.dependencies });
    assert.equal(await cache.get('right'), undefined, 'collected generations: born invalid');
  });

  it('two reads of one tag at two generations spoil the computation: returned, not stored', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-moved' });
    const a = { value: 1 };
    const ta = table(cache, 'a', a);
    const value = await cache.getOrSet('page', async () => {
      const first = await ta.read(1);
      a.value = 2;
      await cache.invalidateTags(['a']);
      return `${first}|${await ta.read(2)}`;
    });
    assert.equal(value, 'a1|a2');
    assert.equal(await cache.get('page'), undefined);
  });

  it('callers that join a flight, or are served a stale value, record its dependencies', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-join', grace: '1h', defaultTtl: '1m' });
    const a = { value: 1 };
    const ta = table(cache, 'a', a);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const shared = () =>
      cache.getOrSet('shared', async () => {
        await gate;
        return ta.read();
      });
    const first = cache.getOrSet('one', () => shared());
    const second = cache.getOrSet('two', () => shared()); // joins the flight of 'shared'
    release();
    assert.deepEqual(await Promise.all([first, second]), ['a1', 'a1']);
    a.value = 2;
    await cache.invalidateTags(['a']);
    assert.equal(await cache.get('one'), undefined);
    assert.equal(await cache.get('two'), undefined, "the joiner recorded the flight's dependencies");
  });

  it('collectDependencies returns what fn read; set stores it; inside a scope it records there too', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-collect' });
    const a = { value: 1 };
    const ta = table(cache, 'a', a);
    const { value, dependencies } = await cache.collectDependencies(async () => `frag(${await ta.read()})`);
    assert.equal(value, 'frag(a1)');
    assert.deepEqual(dependencies.tags, ['a']);
    assert.equal(dependencies.generations.length, 1);
    assert.equal(dependencies.complete, true);
    assert.ok(Object.isFrozen(dependencies));
    await cache.set('frag', value, { dependencies, tags: ['fragments'] });
    assert.equal(await cache.get('frag'), 'frag(a1)');
    await cache.invalidateTags(['fragments']);
    assert.equal(await cache.get('frag'), undefined, 'explicit tags beside collected ones');
    await cache.set('frag', value, { dependencies });
    await cache.invalidateTags(['a']);
    assert.equal(await cache.get('frag'), undefined, 'collected tags');
    // A page made of a fragment built with collectDependencies depends on it.
    const page = await cache.collectDependencies(() =>
      cache.collectDependencies(async () => `frag(${await ta.read()})`).then((f) => `page[${f.value}]`),
    );
    assert.deepEqual(page.dependencies.tags, ['a']);
  });

  it('set refuses dependencies of another cache, and removes the key for incomplete ones', async () => {
    const store = memoryStore();
    const cache = createCache({ store, prefix: 'deps-set' });
    const other = createCache({ store, prefix: 'deps-set-other' });
    const { dependencies } = await other.collectDependencies(() =>
      other.getOrSet('x', () => 1, { tags: ['t'] }),
    );
    await assert.rejects(cache.set('k', 1, { dependencies }), (e) => isLarderError(e, 'E_INVALID_ARGUMENT'));
    await assert.rejects(
      cache.set('k', 1, { dependencies: { tags: ['t'], generations: [1], complete: true } }),
      (e) => isLarderError(e, 'E_INVALID_ARGUMENT'),
      'a forged object is refused',
    );
    await cache.set('k', 'old');
    const spoiled = await cache.collectDependencies(() =>
      cache.getOrSet('ttl0', () => 1, { tags: ['t'], ttl: 0 }),
    );
    assert.equal(spoiled.dependencies.complete, false, 'a nested value stored without generations');
    await cache.set('k', 'new', { dependencies: spoiled.dependencies });
    assert.equal(await cache.get('k'), undefined, 'neither stored nor left stale');
  });

  it('tagged values of another prefix are not recorded, with one warning; a namespace shares the counters', async () => {
    const store = memoryStore();
    const cache = createCache({ store, prefix: 'deps-home' });
    const foreign = createCache({ store, prefix: 'deps-away' });
    const away = { value: 1 };
    const ta = table(foreign, 'a', away);
    const codes = await warningsDuring(async () => {
      await cache.getOrSet('page', async () => `${await ta.read()}`, { tags: ['own'] });
      await cache.getOrSet('page2', async () => `${await ta.read(2)}`);
    });
    assert.deepEqual(
      codes.filter((c) => c === WarningCodes.W_FOREIGN_DEPENDENCY),
      [WarningCodes.W_FOREIGN_DEPENDENCY],
      'warned once',
    );
    await foreign.invalidateTags(['a']);
    assert.equal(await cache.get('page'), 'a1', "not recorded: another prefix's counter");
    await cache.invalidateTags(['own']);
    assert.equal(await cache.get('page'), undefined, 'its own tags still work');
    // A namespace view keeps its tags under the cache's prefix: one counter space.
    const ns = cache.namespace('n');
    const tb = table(ns, 'b', { value: 1 });
    await cache.getOrSet('page3', () => tb.read());
    await ns.invalidateTags(['b']);
    assert.equal(await cache.get('page3'), undefined);
  });

  it('collectDependencies: false keeps an entry to its own tags', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'deps-off' });
    const ta = table(cache, 'a', { value: 1 });
    await cache.getOrSet('page', () => ta.read(), { collectDependencies: false });
    await cache.invalidateTags(['a']);
    assert.equal(await cache.get('page'), 'a1');
    await assert.rejects(cache.getOrSet('x', 1, { collectDependencies: 'yes' as unknown as boolean }), (e) =>
      isLarderError(e, 'E_INVALID_OPTION'),
    );
  });

  it(`up to ${MAX_COLLECTED_TAGS} collected tags are stored; past that the value is not, with one warning`, async () => {
    assert.equal(
      MAX_ENTRY_TAGS,
      MAX_TAGS + MAX_COLLECTED_TAGS,
      'the envelope reads every entry it may write',
    );
    const cache = createCache({ store: memoryStore(), prefix: 'deps-limit' });
    const readMany = (count: number) => async () => {
      for (let i = 0; i < count; i++) await cache.getOrSet(`t${i}`, () => i, { tags: [`t${i}`] });
      return count;
    };
    assert.equal(
      await cache.getOrSet('many', readMany(MAX_COLLECTED_TAGS), { tags: ['own'] }),
      MAX_COLLECTED_TAGS,
    );
    assert.equal(await cache.get('many'), MAX_COLLECTED_TAGS, 'stored, explicit tag beside them');
    await cache.invalidateTags([`t${MAX_COLLECTED_TAGS - 1}`]);
    assert.equal(await cache.get('many'), undefined, 'the last collected tag counts');
    const codes = await warningsDuring(async () => {
      assert.equal(
        await cache.getOrSet('too-many', readMany(MAX_COLLECTED_TAGS + 1)),
        MAX_COLLECTED_TAGS + 1,
      );
    });
    assert.equal(await cache.get('too-many'), undefined, 'returned, not stored');
    assert.ok(codes.includes(WarningCodes.W_DEPENDENCY_LIMIT));
  });
});
