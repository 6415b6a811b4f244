/** Namespaces: key isolation, O(1) clear, names that cannot collide, nesting. */
import assert from 'node:assert/strict';
import type { Cache } from '../../core/types.js';
import { assertTtlNear } from '../assertions.js';
import { defineCases } from '../conformance-case.js';

async function valuesOf(views: ReadonlyMap<string, Cache>, key: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const [label, view] of views) out.set(label, await view.get(key));
  return out;
}

/** namespace(name). */
export const namespaceCases = defineCases('namespace', {
  async 'keys are apart from the root and from other namespaces'(h) {
    const root = h.cache();
    const users = root.namespace('users');
    const posts = root.namespace('posts');
    await root.set('1', 'root');
    await users.set('1', 'user');
    await posts.set('1', 'post');
    assert.equal(await root.get('1'), 'root');
    assert.equal(await users.get('1'), 'user');
    assert.equal(await posts.get('1'), 'post');
    assert.equal(await users.has('2'), false);
    await root.set('2', 'root only');
    assert.equal(await users.get('2'), undefined);
  },

  async 'clear of one namespace leaves the root and other namespaces'(h) {
    const root = h.cache();
    const users = root.namespace('users');
    const posts = root.namespace('posts');
    await root.set('k', 'root');
    await users.setMany({ k: 'user', j: 'user j' });
    await posts.set('k', 'post');
    await users.clear();
    assert.deepEqual(await users.getMany(['k', 'j']), new Map());
    assert.equal(await root.get('k'), 'root');
    assert.equal(await posts.get('k'), 'post');
    await users.set('k', 'after');
    assert.equal(await users.get('k'), 'after', 'the namespace is usable after clear');
    await users.clear();
    await users.clear();
    assert.equal(await users.get('k'), undefined, 'a second clear clears again');
  },

  async 'another view of the same namespace, also from another cache object, sees writes and clears'(h) {
    const first = h.cache().namespace('shared');
    const second = h.cache().namespace('shared'); // as another process would
    await first.set('k', 'v');
    assert.equal(await second.get('k'), 'v');
    await second.clear();
    assert.equal(await first.get('k'), undefined);
    await first.set('k', 'again');
    assert.equal(await second.get('k'), 'again');
  },

  async 'names holding :, / and # cannot collide with other names or key layouts'(h) {
    const root = h.cache();
    const names = ['a', 'a:1', 'a/b', 'a#1', 'a#', '#', ':', '/', 'a%2Fb', 'b', '1', 'ü'];
    const views = new Map<string, Cache>(names.map((name) => [`ns ${name}`, root.namespace(name)]));
    views.set('root', root);
    views.set('nested a → b', root.namespace('a').namespace('b'));
    views.set('nested a → 1', root.namespace('a').namespace('1'));
    for (const [label, view] of views) await view.set('k', label);
    // Root keys shaped like namespace layouts must stay root keys.
    await root.set('/a#1:1:k', 'root lookalike');
    const expected = new Map([...views.keys()].map((label) => [label, label]));
    assert.deepEqual(await valuesOf(views, 'k'), expected);
    assert.equal(await root.get('/a#1:1:k'), 'root lookalike');
  },

  async 'nested namespaces: clearing a parent clears its children, not the reverse'(h) {
    const root = h.cache();
    const a = root.namespace('a');
    const ab = a.namespace('b');
    const b = root.namespace('b');
    await a.set('k', 'a');
    await ab.set('k', 'a/b');
    await b.set('k', 'b');
    await ab.clear();
    assert.equal(await ab.get('k'), undefined);
    assert.equal(await a.get('k'), 'a');
    await ab.set('k', 'a/b again');
    await a.clear();
    assert.equal(await a.get('k'), undefined);
    assert.equal(await ab.get('k'), undefined, 'the child went with its parent');
    assert.equal(await b.get('k'), 'b', 'a top-level namespace of the same name stays');
  },

  async 'every operation works inside a namespace'(h) {
    const ns = h.cache().namespace('ops');
    await ns.set('a', 1, { ttl: '1h' });
    assert.equal(await ns.add('a', 2), 'exists');
    assert.equal(await ns.add('b', 2), 'stored');
    assert.equal(await ns.has('a'), true);
    assert.equal(await ns.incr('a', 5), 6);
    assert.equal(await ns.decr('a'), 5);
    assertTtlNear(await ns.ttl('a'), 3_600_000, 'ttl in a namespace');
    assert.equal(await ns.touch('a', null), true);
    assert.equal(await ns.ttl('a'), null);
    assert.deepEqual(await ns.setMany({ c: 3, d: 4 }), []);
    assert.deepEqual(
      await ns.getMany(['a', 'b', 'c', 'd', 'e']),
      new Map([
        ['a', 5],
        ['b', 2],
        ['c', 3],
        ['d', 4],
      ]),
    );
    assert.equal(await ns.deleteMany(['c', 'd']), 2);
    assert.equal(await ns.delete('b'), true);
    assert.equal(await ns.getOrSet('e', 'computed'), 'computed');
    assert.equal(await ns.incrVersion('e'), 2);
    assert.equal(await ns.get('e', { version: 2 }), 'computed');
    assert.equal(typeof ns.namespace, 'function');
  },

  async 'an empty name is E_INVALID_NAMESPACE'(h) {
    const root = h.cache();
    assert.throws(() => root.namespace(''), { code: 'E_INVALID_NAMESPACE' });
  },
});
