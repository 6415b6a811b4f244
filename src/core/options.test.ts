import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LarderError } from './errors.js';
import { resolveEntry, resolveOptions } from './options.js';
import type { Store } from './store.js';
import type { CacheOptions } from './types.js';

const store: Store = {
  name: 'fake',
  get: () => undefined,
  set: () => {},
  add: () => 'stored',
  delete: () => false,
  clear: async () => {},
};
const resolve = (options: Partial<CacheOptions>) => resolveOptions({ store, ...options } as CacheOptions, {});
const rejects = (options: Partial<CacheOptions>, pattern: RegExp) =>
  assert.throws(
    () => resolve(options),
    (e) => e instanceof LarderError && e.code === 'E_INVALID_OPTION' && pattern.test(e.message),
  );

describe('options', () => {
  it('applies the library defaults, frozen', () => {
    const o = resolve({});
    assert.equal(o.prefix, 'larder');
    assert.equal(o.version, 1);
    assert.equal(o.defaultTtlMs, 300_000);
    assert.equal(o.onError, 'degrade');
    assert.equal(o.timeoutMs, 100);
    assert.deepEqual(o.breaker, { failureThreshold: 5, openMs: 1000 });
    assert.equal(o.codec.serializer.name, 'json', 'json when no msgpack is registered');
    assert.ok(Object.isFrozen(o));
  });

  it('makes forever explicit: a zero default TTL is refused', () => {
    assert.equal(resolve({ defaultTtl: 'forever' }).defaultTtlMs, null);
    rejects({ defaultTtl: 0 }, /defaultTtl/);
  });

  it('fails early with the option name and what it expects', () => {
    rejects({ prefix: '' }, /"prefix" must be a non-empty string/);
    rejects({ version: 1.5 }, /"version" must be an integer/);
    rejects({ onError: 'ignore' as never }, /"onError" must be 'degrade' or 'throw'/);
    rejects({ timeoutMs: 0 }, /"timeoutMs" must be a positive number/);
    rejects({ breaker: { failureThreshold: 0 } }, /breaker.failureThreshold/);
    rejects({ keyValidation: 'maybe' as never }, /keyValidation/);
    rejects({ serializer: 'pickle' as never }, /"serializer" must be/);
    rejects({ compression: { algorithm: 'lzma' as never } }, /compression.algorithm/);
    assert.throws(() => resolveOptions({ store: {} as Store }, {}), /"store" must be a Store/);
  });

  it('resolves per-call options cheaply: the same object when nothing is overridden', () => {
    const o = resolve({ defaultTtl: '1m', version: 2 });
    assert.equal(resolveEntry(undefined, o), o.defaultEntry);
    assert.equal(resolveEntry({}, o), o.defaultEntry);
    assert.deepEqual(resolveEntry({ ttl: '2s' }, o), { ttlMs: 2000, version: 2 });
    assert.deepEqual(resolveEntry({ version: 5 }, o), { ttlMs: 60_000, version: 5 });
  });
});
