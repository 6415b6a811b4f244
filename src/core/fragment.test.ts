/**
 * `cache.fragment` on a memory store and a fake clock: vary isolation, one
 * render per cold fragment, TTL and "forever", namespaces, tags, and the
 * argument errors. The Nunjucks tag on top of it: src/nunjucks/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { isLarderError } from './errors.js';
import { fragmentKey } from './fragment-key.js';
import type { CacheOptions } from './types.js';

const START = 1_700_000_000_000;

function setup(options: Partial<CacheOptions> = {}) {
  const clock = { t: START, now: () => clock.t };
  const cache = createCache({ store: memoryStore({ clock }), clock, prefix: 'frag', ...options });
  let renders = 0;
  const render = (text: string) => async () => {
    renders++;
    return text;
  };
  return { cache, clock, render, renders: () => renders };
}

describe('cache.fragment', () => {
  it('renders once per vary list and serves the cached text after', async () => {
    const { cache, render, renders } = setup();
    assert.equal(await cache.fragment('list', [7, 1], '10m', render('a')), 'a');
    assert.equal(await cache.fragment('list', [7, 1], '10m', render('b')), 'a');
    assert.equal(renders(), 1);
    // Another vary list, another name: other entries.
    assert.equal(await cache.fragment('list', [7, 2], '10m', render('c')), 'c');
    assert.equal(await cache.fragment('other', [7, 1], '10m', render('d')), 'd');
    assert.equal(renders(), 3);
    // Same Python str(): same entry, as in Django.
    assert.equal(await cache.fragment('list', ['7', '1'], '10m', render('e')), 'a');
    assert.equal(renders(), 3);
  });

  it('stores under fragmentKey(name, varyOn), so a delete expires it', async () => {
    const { cache, render } = setup();
    await cache.fragment('sidebar', ['ada'], '1h', render('<nav>'));
    assert.equal(await cache.get(fragmentKey('sidebar', ['ada'])), '<nav>');
    await cache.delete(fragmentKey('sidebar', ['ada']));
    assert.equal(await cache.fragment('sidebar', ['ada'], '1h', render('<nav2>')), '<nav2>');
  });

  it('renders concurrent cold calls once (single flight through getOrSet)', async () => {
    const { cache, renders } = setup();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let count = 0;
    const slow = async () => {
      count++;
      await gate;
      return '<slow>';
    };
    const calls = Array.from({ length: 20 }, () => cache.fragment('slow', [1], '1m', slow));
    release();
    assert.deepEqual(new Set(await Promise.all(calls)), new Set(['<slow>']));
    assert.equal(count, 1);
    assert.equal(renders(), 0);
  });

  it('expires with its TTL; null and forever keep it until deleted', async () => {
    const { cache, clock, render } = setup();
    await cache.fragment('short', [], 60_000, render('1'));
    await cache.fragment('never', [], null, render('2'));
    await cache.fragment('always', [], 'forever', render('3'));
    assert.equal(await cache.ttl(fragmentKey('never', [])), null);
    assert.equal(await cache.ttl(fragmentKey('always', [])), null);
    clock.t += 60_001;
    assert.equal(await cache.fragment('short', [], 60_000, render('1b')), '1b');
    clock.t += 10 * 365 * 86_400_000;
    assert.equal(await cache.fragment('never', [], null, render('2b')), '2');
    assert.equal(await cache.fragment('always', [], 'forever', render('3b')), '3');
  });

  it('renders but stores nothing for a zero or negative TTL (Django: do not cache)', async () => {
    const { cache, render, renders } = setup();
    assert.equal(await cache.fragment('zero', [], 0, render('x')), 'x');
    assert.equal(await cache.fragment('zero', [], -5, render('y')), 'y');
    assert.equal(renders(), 2);
    assert.equal(await cache.has(fragmentKey('zero', [])), false);
  });

  it('lives in the namespace of the view it is called on', async () => {
    const { cache, render } = setup();
    const shop = cache.namespace('shop');
    await shop.fragment('nav', [], '1h', render('shop'));
    assert.equal(await cache.fragment('nav', [], '1h', render('root')), 'root');
    await shop.clear();
    assert.equal(await shop.fragment('nav', [], '1h', render('shop2')), 'shop2');
    assert.equal(await cache.fragment('nav', [], '1h', render('root2')), 'root');
  });

  it('takes getOrSet options: tags invalidate it', async () => {
    const { cache, render } = setup();
    await cache.fragment('tagged', [], '1h', render('v1'), { tags: ['products'] });
    await cache.invalidateTags(['products']);
    assert.equal(await cache.fragment('tagged', [], '1h', render('v2'), { tags: ['products'] }), 'v2');
  });

  it('refuses a missing TTL, a bad TTL and a ttl option, naming them', async () => {
    const { cache, render, renders } = setup();
    await assert.rejects(
      cache.fragment('x', [], undefined as never, render('x')),
      (error) =>
        isLarderError(error, 'E_INVALID_OPTION') &&
        /^fragment: ttl must be .*there is no default/.test(error.message),
    );
    await assert.rejects(
      cache.fragment('x', [], 'soon' as never, render('x')),
      (error) => isLarderError(error, 'E_INVALID_OPTION') && /^fragment: ttl must be/.test(error.message),
    );
    await assert.rejects(
      cache.fragment('x', [], '1m', render('x'), { ttl: '1h' } as never),
      (error) =>
        isLarderError(error, 'E_INVALID_OPTION') && /options\.ttl must be absent/.test(error.message),
    );
    assert.equal(renders(), 0);
  });

  it('refuses a bad name, vary value or render before rendering, and a render that returns no string', async () => {
    const { cache, render, renders } = setup();
    await assert.rejects(cache.fragment('', [], '1m', render('x')), (error) =>
      isLarderError(error, 'E_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      cache.fragment('x', [{}] as never, '1m', render('x')),
      (error) => isLarderError(error, 'E_INVALID_ARGUMENT') && /varyOn\[0\]/.test(error.message),
    );
    await assert.rejects(
      cache.fragment('x', [], '1m', '<p>' as never),
      (error) =>
        isLarderError(error, 'E_INVALID_ARGUMENT') && /render must be a function/.test(error.message),
    );
    assert.equal(renders(), 0);
    await assert.rejects(
      cache.fragment('x', [], '1m', async () => 42 as never),
      (error) =>
        isLarderError(error, 'E_INVALID_ARGUMENT') &&
        /render must return a string, got 42/.test(error.message),
    );
    assert.equal(await cache.has(fragmentKey('x', [])), false);
  });
});
