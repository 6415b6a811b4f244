/**
 * `{% cache %}` end to end on real Nunjucks and a memory store: Django's
 * syntax (timeout, bare or quoted name, vary expressions), keys shared with
 * `fragmentKey`, TTL forms, async bodies, one render per cold fragment, and the
 * template errors. The same on Redis: cache-tag.integration.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fragmentKey } from '../core/fragment-key.js';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { templateEnv } from '../test-support/template-env.js';
import { larderCacheExtension } from './larder-cache-extension.js';

const START = 1_700_000_000_000;

function setup() {
  const clock = { t: START, now: () => clock.t };
  const cache = createCache({ store: memoryStore({ clock }), clock, prefix: 'tpl' });
  return { cache, clock, ...templateEnv(cache) };
}

const PRODUCT_LIST =
  '{% cache 600 product_list category.id page %}[{{ count() }}:{{ category.name }}]{% endcache %}';

describe('{% cache %} (larder/nunjucks)', () => {
  it('renders the body once per vary list, under the key Django would use', async () => {
    const { cache, render, renders } = setup();
    const shoes = { category: { id: 7, name: 'Shoes' }, page: 1 };
    assert.equal(await render(PRODUCT_LIST, shoes), '[1:Shoes]');
    assert.equal(await render(PRODUCT_LIST, shoes), '[1:Shoes]');
    assert.equal(await render(PRODUCT_LIST, { ...shoes, page: 2 }), '[2:Shoes]');
    assert.equal(renders(), 2);
    assert.equal(await cache.get(fragmentKey('product_list', [7, 1])), '[1:Shoes]');
    assert.equal(await cache.ttl(fragmentKey('product_list', [7, 1])), 600_000);
  });

  it('takes the name as a bare word or a string literal, alike', async () => {
    const { render, renders } = setup();
    assert.equal(await render('{% cache 60 "local-thing" %}{{ count() }}{% endcache %}'), '1');
    assert.equal(await render('{% cache 60 local-thing %}{{ count() }}{% endcache %}'), '1');
    assert.equal(await render("{% cache 60 'local-thing' -%} {{ count() }}{% endcache %}"), '1');
    assert.equal(renders(), 1);
  });

  it('inserts the cached text as rendered: escaped once, on a miss and on a hit', async () => {
    const { render } = setup();
    const template = '{% cache 60 esc %}{{ html }}|{{ name | slow }}{% endcache %}';
    const expected = '&lt;b&gt;|&lt;x&gt;';
    assert.equal(await render(template, { html: '<b>', name: 'x' }), expected);
    assert.equal(await render(template, { html: '<i>', name: 'y' }), expected);
  });

  it('renders async bodies (async filters), through a renderString callback and promisified', async () => {
    const { env, render } = setup();
    const template =
      '<p>{% cache 60 "async" who %}{{ who | slow }} {{ who | slow | upper }}{% endcache %}</p>';
    assert.equal(await render(template, { who: 'ada' }), '<p>&lt;ada&gt; &lt;ADA&gt;</p>');
    const viaCallback = await new Promise<string>((resolve, reject) => {
      env.renderString(template, { who: 'bob' }, (error, result) =>
        error ? reject(error) : resolve(result ?? ''),
      );
    });
    assert.equal(viaCallback, '<p>&lt;bob&gt; &lt;BOB&gt;</p>');
    const renderString = promisify(env.renderString.bind(env)) as (t: string, c: object) => Promise<string>;
    assert.equal(await renderString(template, { who: 'bob' }), viaCallback);
  });

  it('renders two concurrent renders of a cold fragment once', async () => {
    const { render, renders } = setup();
    const template = '{% cache 60 cold %}{{ count() }}{{ "x" | slow }}{% endcache %}';
    const results = await Promise.all([render(template), render(template), render(template)]);
    assert.deepEqual(results, ['1&lt;x&gt;', '1&lt;x&gt;', '1&lt;x&gt;']);
    assert.equal(renders(), 1);
  });

  it('reads the timeout as Django does: seconds, a variable or expression, none for no expiry', async () => {
    const { cache, render } = setup();
    const ttlOf = (name: string) => cache.ttl(fragmentKey(name, []));
    await render('{% cache 600 a %}a{% endcache %}');
    await render('{% cache timeout b %}b{% endcache %}', { timeout: 30 });
    await render('{% cache 60 * 10 c %}c{% endcache %}');
    await render('{% cache "90" d %}d{% endcache %}');
    await render('{% cache "10m" e %}e{% endcache %}');
    await render('{% cache none f %}f{% endcache %}');
    await render('{% cache timeout g %}g{% endcache %}', { timeout: null });
    assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(ttlOf)), [
      600_000,
      30_000,
      600_000,
      90_000,
      600_000,
      null,
      null,
    ]);
  });

  it('renders without storing for a zero or negative timeout', async () => {
    const { cache, render, renders } = setup();
    await render('{% cache 0 z %}{{ count() }}{% endcache %}');
    assert.equal(await render('{% cache -1 z %}{{ count() }}{% endcache %}'), '2');
    assert.equal(renders(), 2);
    assert.equal(await cache.has(fragmentKey('z', [])), false);
  });

  it('expires with the timeout', async () => {
    const { clock, render } = setup();
    const template = '{% cache 60 exp %}{{ count() }}{% endcache %}';
    assert.equal(await render(template), '1');
    clock.t += 59_000;
    assert.equal(await render(template), '1');
    clock.t += 2_000;
    assert.equal(await render(template), '2');
  });

  it('tags=[…] tags the fragment, so invalidateTags re-renders it', async () => {
    const { cache, render } = setup();
    const template =
      '{% cache 600 tagged page tags=["products", "page:" + page] %}{{ count() }}{% endcache %}';
    assert.equal(await render(template, { page: 1 }), '1');
    assert.equal(await render(template, { page: 1 }), '1');
    await cache.invalidateTags(['page:1']);
    assert.equal(await render(template, { page: 1 }), '2');
  });

  it('names an unknown variable of the vary list or the timeout, with the tag and line', async () => {
    const { render, renders } = setup();
    await assert.rejects(
      render('\n{% cache 600 product_list category.id page %}x{% endcache %}', { page: 1 }),
      /\{% cache product_list %\} on line 2 got an unknown variable: category\.id/,
    );
    await assert.rejects(
      render('{% cache 600 product_list category.id page %}x{% endcache %}', { category: { id: 1 } }),
      /got an unknown variable: page/,
    );
    await assert.rejects(
      render('{% cache my_timeout sidebar %}x{% endcache %}'),
      /\{% cache sidebar %\} on line 1 got an unknown variable in its timeout: my_timeout/,
    );
    assert.equal(renders(), 0);
  });

  it('refuses a timeout that is not one', async () => {
    const { render } = setup();
    for (const [timeout, shown] of [
      ['true', 'true is true'],
      ['1.5', '1.5 is 1.5'],
      ['"soon"', '"soon" is "soon"'],
      ['[60]', '(a Array expression) is [60]'],
    ]) {
      await assert.rejects(
        render(`{% cache ${timeout} x %}x{% endcache %}`),
        (error: Error) => error.message.includes(`got a timeout that is not one: ${shown}`),
        timeout,
      );
    }
  });

  it('refuses a name that is not a string literal or a bare word, at parse time', async () => {
    const { render } = setup();
    await assert.rejects(
      render('{% cache 600 123 %}x{% endcache %}'),
      /the fragment name must be a string literal or a bare word, got int 123/,
    );
    await assert.rejects(render('{% cache 600 %}x{% endcache %}'), /needs a fragment name after the timeout/);
    await assert.rejects(render('{% cache %}x{% endcache %}'), /needs a timeout and a fragment name/);
    await assert.rejects(render('{% cache 600 "" %}x{% endcache %}'), /the fragment name is empty/);
  });

  it('refuses a vary value with no key form, an unknown option, and bad tags', async () => {
    const { render } = setup();
    await assert.rejects(
      render('{% cache 600 x user %}x{% endcache %}', { user: { id: 1 } }),
      /\{% cache x %\} on line 1: user must be a string, .* got \{"id":1\}: an object/,
    );
    await assert.rejects(render('{% cache 600 x using="other" %}x{% endcache %}'), /unknown option using=/);
    await assert.rejects(
      render('{% cache 600 x tags=mytags %}x{% endcache %}'),
      /tags must be a string or a list of strings, got undefined \(an unknown variable\)/,
    );
  });

  it('passes an error of the body on and stores nothing', async () => {
    const { cache, render } = setup();
    await assert.rejects(render('{% cache 600 failing %}{{ 1 | broken }}{% endcache %}'), /filter failed/);
    assert.equal(await cache.has(fragmentKey('failing', [])), false);
  });

  it('refuses something other than a Larder cache', () => {
    assert.throws(() => larderCacheExtension({} as Cache), /cache must be a Larder cache/);
  });
});
