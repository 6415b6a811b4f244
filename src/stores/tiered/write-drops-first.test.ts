/**
 * A local write drops its keys from L1 when it starts, not when L2 answers:
 * L2 may answer late or never (a frozen Redis, a call core already timed out),
 * and until then this process must not serve the value the write replaces.
 * While the write is in flight, no read fills its keys either: a reply may
 * predate the write on the server.
 *
 * Writes are held here the way a frozen server holds them; reads answer (from
 * the server as it is, the write not applied yet). The old code kept the L1
 * copy until L2 answered, so every "no L1 hit" below fails on it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../../core/store.js';
import type { ControlledStore } from './test-support/controlled-store.js';
import { bytes, settle, text, World } from './test-support/tiered-fixture.js';
import type { TieredStore } from './tiered-store.js';

type WriteName = 'set' | 'add' | 'delete' | 'touch' | 'incrBy' | 'clear';
const WRITES: readonly WriteName[] = ['set', 'add', 'delete', 'touch', 'incrBy', 'clear'];

/** Hold every L2 write until the returned function is called (then they run, in order). */
function holdWrites(l2: ControlledStore): () => void {
  const held: Array<() => void> = [];
  const originals = new Map<WriteName, unknown>();
  const patched = l2 as unknown as Record<WriteName, (...args: unknown[]) => Promise<unknown>>;
  for (const name of WRITES) {
    const original = patched[name];
    originals.set(name, original);
    patched[name] = (...args) =>
      new Promise((resolve, reject) => {
        held.push(() => original.apply(l2, args).then(resolve, reject));
      });
  }
  return () => {
    for (const [name, original] of originals) (l2 as unknown as Record<string, unknown>)[name] = original;
    for (const run of held.splice(0)) run();
  };
}

/** Whether `store.get(key)` answers from L1 (synchronously). */
function isL1Hit(store: TieredStore, key: string): boolean {
  return !(store.get(key) instanceof Promise);
}

describe('a local write drops L1 before its round trip', () => {
  let world: World;
  let store: TieredStore;
  beforeEach(async () => {
    world = new World();
    ({ store } = await world.start());
    for (const key of ['k', 'n', 'p:a', 'p:b', 'other']) {
      await world.l2.set(key, bytes(key === 'n' ? '1' : 'old'), 60_000);
      await store.get(key);
      assert.ok(isL1Hit(store, key), `${key} is an L1 hit to begin with`);
    }
  });
  afterEach(() => world.close());

  const cases: ReadonlyArray<[string, readonly string[], (store: TieredStore) => unknown]> = [
    ['delete', ['k'], (s) => s.delete('k')],
    ['set', ['k'], (s) => s.set('k', bytes('new'), 60_000)],
    ['add', ['k'], (s) => s.add('k', bytes('new'), 60_000)],
    ['touch', ['k'], (s) => (s.touch as NonNullable<Store['touch']>)('k', 1_000)],
    ['incrBy', ['n'], (s) => (s.incrBy as NonNullable<Store['incrBy']>)('n', 1)],
    [
      'setMany',
      ['k', 'p:a'],
      (s) =>
        s.setMany([
          { key: 'k', value: bytes('new'), ttlMs: 60_000 },
          { key: 'p:a', value: bytes('new'), ttlMs: 60_000 },
        ]),
    ],
    ['deleteMany', ['k', 'p:a'], (s) => s.deleteMany(['k', 'p:a'])],
    ['clear(prefix)', ['p:a', 'p:b'], (s) => s.clear('p:')],
  ];

  for (const [name, keys, write] of cases) {
    it(`${name}: no L1 hit from the call on, and no fill of an old reply until L2 answers`, async () => {
      const release = holdWrites(world.l2);
      const pending = Promise.resolve(write(store));
      for (const key of keys) {
        assert.ok(!isL1Hit(store, key), `${key}: not served from L1 while the write is in flight`);
        // L2 has not applied the write yet, so this read answers the old
        // value; it must not go into L1.
        await store.get(key);
        assert.equal(store.l1.get(key), undefined, `${key}: not filled while the write is in flight`);
      }
      assert.ok(isL1Hit(store, 'other'), 'other keys keep their copies');
      release();
      await pending;
      await settle();
      for (const key of keys)
        assert.equal(text(await store.get(key)), text(world.l2.inner.get(key) as Uint8Array));
    });
  }

  it('a read in flight when the write starts does not fill L1 with its old reply', async () => {
    await store.delete('k', { skipL2: true }); // L1 only: the next read asks L2
    world.l2.holdReads();
    const read = store.get('k'); // L2 answers 'old'; the reply is held
    const release = holdWrites(world.l2);
    const write = store.set('k', bytes('new'), 60_000);
    world.l2.releaseReads();
    assert.equal(text(await read), 'old', 'the racing read itself may answer the old value');
    assert.equal(store.l1.get('k'), undefined, 'but does not fill L1 with it');
    assert.ok(!isL1Hit(store, 'k'));
    release();
    await write;
    assert.equal(text(store.l1.get('k') as Uint8Array), 'new', 'the write settles into L1 as before');
  });

  it('a write that never answers leaves no copy to serve, however long it takes', async () => {
    holdWrites(world.l2); // never released: the server is frozen for good
    void store.delete('k');
    for (let i = 0; i < 5; i++) {
      assert.ok(!isL1Hit(store, 'k'));
      assert.equal(text(await store.get('k')), 'old', 'what L2 answers, never kept');
      assert.equal(store.l1.get('k'), undefined);
      await settle();
    }
  });
});
