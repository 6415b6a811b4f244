import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError, LarderError } from './errors.js';
import { resolveEntry, resolveGetOrSet, resolveOptions } from './options.js';
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
    assert.equal(o.storeTimeoutMs, 100);
    assert.equal(o.invalidationTimeoutMs, 100);
    assert.deepEqual(o.breaker, { failureThreshold: 5, openMs: 1000 });
    assert.equal(o.codec.maxValueBytes, 16 * 1024 * 1024);
    assert.equal(o.codec.serializer.name, 'json', 'json when no msgpack is registered');
    assert.ok(Object.isFrozen(o));
  });

  it('makes forever explicit: a zero default TTL is refused', () => {
    assert.equal(resolve({ defaultTtl: 'forever' }).defaultTtlMs, null);
    rejects({ defaultTtl: 0 }, /defaultTtl/);
  });

  it('fails early with the option name and what it expects', () => {
    rejects({ prefix: '' }, /^createCache: prefix must be a non-empty string .*, got ""$/);
    for (const prefix of ['a:b', 'a/b', 'a#b', ':', 'a\ud800'])
      rejects({ prefix }, /^createCache: prefix must be/);
    rejects({ defaultTtl: 1e300 }, /^createCache: defaultTtl must be at most/);
    rejects({ grace: 1e300 }, /grace/);
    assert.throws(() => resolveEntry({ tags: ['\ud800'] }, resolve({})), /lone surrogates/);
    assert.throws(() => resolveEntry({ ttl: 1e300 }, resolve({})), /at most 2147483647000 ms/);
    assert.equal(resolveEntry({ ttl: (2 ** 31 - 1) * 1000 }, resolve({})).ttlMs, (2 ** 31 - 1) * 1000);
    rejects({ version: 1.5 }, /^createCache: version must be an integer, got 1.5$/);
    // The example in docs/cache-api.md.
    rejects(
      { timeout: { hard: 0 } },
      /^createCache: timeout.hard must be a duration of at least 1 ms, got 0$/,
    );
    rejects(
      { onError: 'ignore' as never },
      /^createCache: onError must be 'degrade' or 'throw', got "ignore"$/,
    );
    rejects({ storeTimeout: 0 }, /^createCache: storeTimeout must be a duration of at least 1 ms, got 0$/);
    rejects({ invalidationTimeout: '-1s' }, /^createCache: invalidationTimeout must be a duration/);
    rejects({ breaker: { halfOpenAfter: 0 } }, /^createCache: breaker.halfOpenAfter must be a duration/);
    rejects({ breaker: { failureThreshold: 0 } }, /breaker.failureThreshold/);
    rejects({ keyValidation: 'maybe' as never }, /keyValidation/);
    rejects({ serializer: 'pickle' as never }, /^createCache: serializer must be/);
    rejects({ compression: { algorithm: 'lzma' as never } }, /compression.algorithm/);
    rejects(
      { compression: { algorithm: 'gzip', dictionary: new Uint8Array(8) } },
      /^createCache: compression.dictionary must be left out unless compression.algorithm is 'deflate', got a dictionary with algorithm 'gzip'$/,
    );
    rejects({ maxValueBytes: 0 }, /^createCache: maxValueBytes must be an integer >= 1, got 0$/);
    rejects({ maxValueBytes: 1.5 }, /maxValueBytes/);
    rejects(
      { lock: { wait: '5 minutes' as never } },
      /^createCache: lock.wait must be a duration \(ms, or a string such as '30s', '5m'\), got "5 minutes"$/,
    );
    rejects(
      { random: 'dice' as never },
      /^createCache: random must be a function returning \[0, 1\), got "dice"$/,
    );
    assert.throws(
      () => resolveOptions({ store: {} as Store }, {}),
      /LarderError: createCache: store must be a Store .*, got {}$/,
    );
  });

  it('resolves per-call options cheaply: the same object when nothing is overridden', () => {
    const o = resolve({ defaultTtl: '1m', version: 2 });
    assert.equal(resolveEntry(undefined, o), o.defaultEntry);
    assert.equal(resolveEntry({}, o), o.defaultEntry);
    const plain = { graceMs: 0, tags: undefined, hints: undefined };
    assert.deepEqual(resolveEntry({ ttl: '2s' }, o), { ttlMs: 2000, version: 2, ...plain });
    assert.deepEqual(resolveEntry({ version: 5 }, o), { ttlMs: 60_000, version: 5, ...plain });
    assert.equal(resolveGetOrSet(undefined, o), o.defaultGetOrSet);
    assert.equal(resolveGetOrSet({}, o), o.defaultGetOrSet);
    // A frozen options object is resolved once per cache; a plain one every call.
    const frozen = Object.freeze({ tags: Object.freeze(['t']), ttl: '1m' as const });
    assert.equal(resolveGetOrSet(frozen, o), resolveGetOrSet(frozen, o));
    const other = resolve({ defaultTtl: '2m' });
    assert.notEqual(resolveGetOrSet(frozen, other), resolveGetOrSet(frozen, o), 'per cache');
    const unfrozen = { tags: ['t'], ttl: '1m' as const };
    assert.notEqual(resolveGetOrSet(unfrozen, o), resolveGetOrSet(unfrozen, o));
    assert.deepEqual(resolveGetOrSet(unfrozen, o), resolveGetOrSet(frozen, o));
  });

  it('resolves grace, tags, tiers and getOrSet options, naming the option on bad input', () => {
    const o = resolve({ grace: '1m', timeout: { soft: 50 }, lock: { ttl: '2s' } });
    assert.equal(o.defaultEntry.graceMs, 60_000);
    assert.deepEqual(o.lock, { ttlMs: 2000, waitMs: 3_000 });
    const call = resolveGetOrSet(
      { tags: ['a', 'b', 'a'], lock: false, timeout: { hard: '1s' }, tiers: { l1: false } },
      o,
    );
    assert.deepEqual(call.tags, ['a', 'b']);
    assert.equal(call.lock, false);
    assert.equal(call.softMs, 50);
    assert.equal(call.hardMs, 1000);
    assert.deepEqual(call.hints, { skipL1: true });
    assert.equal(resolveGetOrSet({ grace: false }, o).graceMs, 0);
    assert.equal(resolve({ lock: false }).defaultGetOrSet.lock, false);
    for (const [options, option] of [
      [{ tags: [''] }, 'tags'],
      [{ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 'tags'],
      [{ tiers: { l1: false, l2: false } }, 'tiers'],
      [{ timeout: { soft: -1 } }, 'timeout.soft'],
      [{ beta: -1 }, 'beta'],
    ] as const) {
      assert.throws(
        () => resolveGetOrSet(options as never, o),
        // Options of one call have no scope: the message starts with the option.
        (error: Error) =>
          isLarderError(error, 'E_INVALID_OPTION') && error.message.startsWith(`${option} must be `),
      );
    }
  });
});
