/**
 * `{% cache %}` on a real Redis: two caches (two "processes") sharing one
 * Redis render a cold fragment once between them, serve each other's entry,
 * and see a tag invalidation; the entry carries the TTL the tag gave.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createClient } from 'redis';
import { fragmentKey } from '../core/fragment-key.js';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { redisStore } from '../stores/redis/index.js';
import { redisUrl, uniquePrefix } from '../test-support/env.js';
import { templateEnv } from '../test-support/template-env.js';

describe('{% cache %} on Redis', () => {
  const prefix = uniquePrefix('cache-tag');
  const caches: Cache[] = [];
  const open = (): Cache => {
    const cache = createCache({ store: redisStore({ url: redisUrl() }), prefix });
    caches.push(cache);
    return cache;
  };

  after(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    const client = createClient({ url: redisUrl() });
    await client.connect();
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
      if (keys.length > 0) await client.unlink(keys);
    await client.close();
  });

  it('renders a cold fragment once across two caches, and both serve it', async () => {
    const [a, b] = [templateEnv(open()), templateEnv(open())];
    const template =
      '{% cache 600 "product_list" category.id page %}{{ count() }}{{ category.name | slow }}{% endcache %}';
    const context = { category: { id: 7, name: 'Shoes' }, page: 1 };
    const results = await Promise.all([
      a.render(template, context),
      b.render(template, context),
      a.render(template, context),
    ]);
    assert.equal(new Set(results).size, 1);
    assert.match(results[0] ?? '', /^1&lt;Shoes&gt;$/);
    assert.equal(a.renders() + b.renders(), 1);
    const ttl = await (caches[0] as Cache).ttl(fragmentKey('product_list', [7, 1]));
    assert.ok(ttl !== null && ttl !== undefined && ttl > 590_000 && ttl <= 600_000, `ttl ${ttl}`);
  });

  it('keeps a none timeout forever and re-renders after a tag invalidation', async () => {
    const cache = open();
    const { render, renders } = templateEnv(cache);
    const template = '{% cache none nav tags=["nav"] %}{{ count() }}{% endcache %}';
    assert.equal(await render(template), '1');
    assert.equal(await cache.ttl(fragmentKey('nav', [])), null);
    assert.equal(await render(template), '1');
    await cache.invalidateTags(['nav']);
    assert.equal(await render(template), '2');
    assert.equal(renders(), 2);
  });

  it('names an unknown variable on Redis too', async () => {
    // A cache that has talked to Redis: one closed while its client is still
    // connecting keeps the process alive (seen here; a redis store matter, not the tag's).
    const { render } = templateEnv(caches[0] ?? open());
    await assert.rejects(
      render('{% cache 60 x missing.id %}x{% endcache %}'),
      /unknown variable: missing\.id/,
    );
  });
});
