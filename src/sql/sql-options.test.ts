/** Options of cachedPool / cachedClient: defaults, resolution, early validation naming the option. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../core/errors.js';
import { resolveSqlOptions } from './sql-options.js';

describe('resolveSqlOptions', () => {
  it('has safe defaults', () => {
    const options = resolveSqlOptions(undefined);
    assert.equal(options.ttlMs, undefined);
    assert.equal(options.lock, false);
    assert.equal(options.maxFingerprints, 1000);
    assert.equal(options.catalogTtlMs, 60_000);
    assert.equal(options.invalidation, 'after-commit');
    assert.equal(options.onInvalidationFailure, 'retry');
    assert.equal(options.invalidationWaitMs, 2000);
    assert.ok(Object.isFrozen(options));
  });

  it('resolves durations and table rules', () => {
    const options = resolveSqlOptions({
      ttl: '10m',
      catalogTtl: '5s',
      tables: { 'public.prices': { ttl: '10s' }, sessions: { exclude: true } },
      allowFunctions: ['slugify'],
      identity: { systemId: '1', database: 'db' },
    });
    assert.equal(options.ttlMs, 600_000);
    assert.equal(options.catalogTtlMs, 5000);
    assert.deepEqual(options.tables.get('public.prices'), { ttlMs: 10_000, exclude: false });
    assert.deepEqual(options.tables.get('sessions'), { ttlMs: undefined, exclude: true });
    assert.deepEqual(options.allowFunctions, ['slugify']);
    assert.deepEqual(options.identity, { systemId: '1', database: 'db' });
  });

  it('rejects bad values with E_INVALID_OPTION naming the option', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ttl: 'soon' }, /^larder\/sql: ttl\b.* must be /],
      [{ maxFingerprints: 0 }, /^larder\/sql: maxFingerprints\b.* must be /],
      [{ maxParsedStatements: 1.5 }, /^larder\/sql: maxParsedStatements\b.* must be /],
      [{ allowFunctions: [''] }, /^larder\/sql: allowFunctions\b.* must be /],
      [{ identity: { systemId: '', database: 'x' } }, /^larder\/sql: identity\b.* must be /],
      [{ onInvalidationFailure: 'block' }, /^larder\/sql: onInvalidationFailure\b.* must be /],
      [{ invalidationWait: -1 }, /^larder\/sql: invalidationWait\b.* must be /],
      [{ invalidationWait: 'later' }, /^larder\/sql: invalidationWait\b.* must be /],
      [{ tables: { t: null } }, /^larder\/sql: tables\b.* must be /],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => resolveSqlOptions(options as never),
        (error: unknown) => isLarderError(error, 'E_INVALID_OPTION') && message.test(error.message),
      );
    }
  });
});
