import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, resolveTtl } from './duration.js';
import { LarderError } from './errors.js';

describe('durations and TTLs', () => {
  it('reads numbers as milliseconds and strings with units', () => {
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1d'), 86_400_000);
  });

  it('resolves TTLs: default when omitted, null for forever, 0 for do-not-store', () => {
    assert.equal(resolveTtl(undefined, 300_000), 300_000);
    assert.equal(resolveTtl(null, 300_000), null);
    assert.equal(resolveTtl('forever', 300_000), null);
    assert.equal(resolveTtl(0, 300_000), 0);
    assert.equal(resolveTtl(-5, 300_000), 0);
    assert.equal(resolveTtl('-1s', 300_000), 0);
    assert.equal(resolveTtl(0.2, 300_000), 1, 'a tiny positive TTL still stores');
    assert.equal(resolveTtl(1500.5, 300_000), 1501);
  });

  it('names the option and what it expects when the input is wrong', () => {
    for (const bad of ['5 minutes', '10x', Number.NaN, {}, true]) {
      assert.throws(
        () => resolveTtl(bad as never, 1, 'defaultTtl'),
        (e) =>
          e instanceof LarderError &&
          e.code === 'E_INVALID_OPTION' &&
          /defaultTtl must be a number of milliseconds/.test(e.message),
      );
    }
  });
});
