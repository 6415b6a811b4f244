/**
 * Core's `scanKeys` helper: the user keys of one cache at its version, and a
 * refusal (`E_UNSUPPORTED`) wherever stored keys cannot be mapped back to user
 * keys. Listing itself is checked on every store by the conformance suite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { isLarderError } from './errors.js';
import { scanKeys } from './scan-keys.js';
import type { Store } from './store.js';
import type { Cache } from './types.js';

async function collect(pages: AsyncIterable<readonly string[]>): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of pages) keys.push(...page);
  return keys.sort();
}

function refused(code: string) {
  return (error: unknown) => isLarderError(error) && error.code === code;
}

describe('scanKeys', () => {
  it('lists user keys at the default version, prefix and version stripped', async () => {
    const cache = createCache({ store: memoryStore(), prefix: 'app', version: 3 });
    await cache.setMany({ 'u:1': 1, 'u:2': 2, v: 3 });
    await cache.set('u:old', 1, { version: 2 });
    assert.deepEqual(await collect(scanKeys(cache, 'u:')), ['u:1', 'u:2']);
    assert.deepEqual(await collect(scanKeys(cache, '')), ['u:1', 'u:2', 'v']);
  });

  it('skips keys hashed to fit the store', async () => {
    const store: Store = { ...memoryStore(), maxKeyBytes: 40 };
    const cache = createCache({ store, prefix: 'app' });
    await cache.set(`h:${'x'.repeat(60)}`, 1);
    await cache.set('h:short', 2);
    assert.deepEqual(await collect(scanKeys(cache, 'h:')), ['h:short']);
  });

  it('refuses a store without scanKeys, a custom key function, a namespace and a closed cache', async () => {
    const { scanKeys: _, ...withoutScan } = memoryStore();
    assert.throws(() => scanKeys(createCache({ store: withoutScan }), ''), refused('E_UNSUPPORTED'));
    const custom = createCache({
      store: memoryStore(),
      keyFunction: (key, prefix, v) => `${prefix}.${v}.${key}`,
    });
    assert.throws(() => scanKeys(custom, ''), refused('E_UNSUPPORTED'));
    const cache = createCache({ store: memoryStore() });
    assert.throws(() => scanKeys(cache.namespace('ns'), ''), refused('E_UNSUPPORTED'));
    assert.throws(() => scanKeys({ ...cache } as Cache, ''), refused('E_UNSUPPORTED'), 'not a LarderCache');
    assert.throws(() => scanKeys(cache, '\ud800'), refused('E_INVALID_KEY'));
    await cache.close();
    assert.throws(() => scanKeys(cache, ''), refused('E_CLOSED'));
  });

  it('maps a failing page through the guard, whatever onError says', async () => {
    const store: Store = {
      ...memoryStore(),
      // biome-ignore lint/correctness/useYield: a scan that fails before its first page
      async *scanKeys() {
        throw new Error('connection reset');
      },
    };
    const cache = createCache({ store, onError: 'degrade' });
    await assert.rejects(collect(scanKeys(cache, '')), refused('E_STORE'));
  });
});
