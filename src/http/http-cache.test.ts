/**
 * The page cache's engine on the memory store, without a framework: what is
 * refused as a key (and logged), and the options it validates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/index.js';
import type { HttpRequest } from './exchange.js';
import { createHttpCache } from './http-cache.js';

function setup() {
  const logged: string[] = [];
  const cache = createCache({ store: memoryStore() });
  const http = createHttpCache({
    cache,
    hosts: ['shop.example'],
    ttl: '1m',
    logger: (message) => logged.push(message),
  });
  return { cache, http, logged };
}

const get = (target: string, headers: Record<string, string> = {}, host = 'shop.example'): HttpRequest => ({
  method: 'GET',
  scheme: 'https',
  host,
  target,
  headers: { host, ...headers },
});

/** Run one request through the engine as an adapter would, the origin answering `body`. */
async function through(
  http: ReturnType<typeof setup>['http'],
  request: HttpRequest,
  body: string,
  headers = {},
) {
  const lookup = await http.handle(request);
  if (lookup.kind === 'answer')
    return { from: 'cache', body: Buffer.from(lookup.answer.body ?? []).toString() };
  const { exchange } = lookup;
  exchange.head(200, { 'content-type': 'text/plain', ...headers });
  exchange.write(Buffer.from(body));
  await exchange.end();
  await http.idle();
  return { from: exchange.kind, body };
}

describe('createHttpCache: what never becomes a key', () => {
  it('an unknown Host goes to the origin, is never stored, and is logged once a minute', async () => {
    const { http, logged, cache } = setup();
    for (let i = 0; i < 3; i++)
      assert.equal((await through(http, get('/p', {}, 'evil.example'), `evil ${i}`)).from, 'pass');
    assert.deepEqual(logged, ['larder/http: unknown-host']);
    assert.equal((await through(http, get('/p'), 'good')).from, 'fill');
    assert.equal((await through(http, get('/p'), 'other')).body, 'good');
    await cache.close();
  });

  it('a target with CR/LF, whitespace or over the limit, and a Vary value with CR/LF or NUL, pass uncached', async () => {
    const { http, logged, cache } = setup();
    assert.equal((await through(http, get('/a b'), 'x')).from, 'pass');
    assert.equal((await through(http, get(`/${'a'.repeat(9000)}`), 'x')).from, 'pass');
    assert.ok(logged.includes('larder/http: unusable-target'));
    // A page that varies on a header: a request whose value holds CR/LF is never a key.
    await through(http, get('/v', { 'x-mode': 'a' }), 'a', { vary: 'X-Mode' });
    const lookup = await http.handle(get('/v', { 'x-mode': 'a\r\nx: y' }));
    assert.equal(lookup.kind === 'forward' && lookup.exchange.kind, 'pass');
    assert.ok(logged.includes('larder/http: unusable-field'));
    await cache.close();
  });

  it('a response with more than 32 tags in all is not stored, and says so', async () => {
    const { http, logged, cache } = setup();
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`).join(' ');
    await through(http, get('/tags'), 'many', { 'surrogate-key': keys });
    assert.equal((await through(http, get('/tags'), 'again')).body, 'again');
    assert.ok(logged.includes('larder/http: too-many-tags'));
    await cache.close();
  });

  it('refuses options that cannot work, naming the option', () => {
    const cache = createCache({ store: memoryStore() });
    assert.throws(() => createHttpCache({ cache, hosts: [] }), /hosts/);
    assert.throws(() => createHttpCache({ cache, hosts: ['a'], ttl: 'soon' as never }), /ttl/);
    assert.throws(() => createHttpCache({ cache, hosts: ['a'], vary: ['bad header'] }), /vary/);
    assert.throws(() => createHttpCache({ cache: {} as never, hosts: ['a'] }), /cache/);
    assert.throws(() => createHttpCache({ cache, hosts: ['a'], mode: 'cdn' as never }), /mode/);
  });
});
