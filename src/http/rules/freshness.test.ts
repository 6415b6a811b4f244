import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCacheControl } from './cache-control.js';
import { ageHeader, currentAgeMs, freshnessLifetimeMs, httpDate, type LifetimeInput } from './freshness.js';

const AT = Date.UTC(1994, 10, 6, 8, 49, 37); // Sun, 06 Nov 1994 08:49:37 GMT

describe('httpDate (RFC 9110 §5.6.7)', () => {
  it('reads IMF-fixdate and both obsolete forms as the same instant', () => {
    assert.equal(httpDate('Sun, 06 Nov 1994 08:49:37 GMT'), AT);
    assert.equal(httpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2026, 0, 1)), AT);
    assert.equal(httpDate('Sun Nov  6 08:49:37 1994'), AT);
  });

  it('refuses anything else, including impossible dates and the "0" of Expires', () => {
    for (const text of [
      '0',
      '',
      'tomorrow',
      '1994-11-06T08:49:37Z',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'Sun, 31 Feb 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 25:49:37 GMT',
      'Sun, 06 Xyz 1994 08:49:37 GMT',
    ])
      assert.equal(httpDate(text), undefined, text);
    assert.equal(httpDate(undefined), undefined);
  });
});

describe('freshnessLifetimeMs (RFC 9111 §4.2.1, §4.2.2)', () => {
  const base = (over: Partial<LifetimeInput>): LifetimeInput => ({
    cacheControl: parseCacheControl(''),
    dateHeader: 'Sun, 06 Nov 1994 08:49:37 GMT',
    expiresHeader: undefined,
    lastModifiedHeader: undefined,
    responseAt: AT,
    heuristicAllowed: true,
    heuristic: false,
    ...over,
  });

  it('s-maxage over max-age over Expires − Date', () => {
    const expires = 'Sun, 06 Nov 1994 09:49:37 GMT';
    assert.equal(
      freshnessLifetimeMs(
        base({ cacheControl: parseCacheControl('max-age=60, s-maxage=5'), expiresHeader: expires }),
      ),
      5_000,
    );
    assert.equal(
      freshnessLifetimeMs(base({ cacheControl: parseCacheControl('max-age=60'), expiresHeader: expires })),
      60_000,
    );
    assert.equal(freshnessLifetimeMs(base({ expiresHeader: expires })), 3_600_000);
    assert.equal(
      freshnessLifetimeMs(base({ expiresHeader: expires, dateHeader: undefined, responseAt: AT + 600_000 })),
      3_000_000,
      'no Date: the arrival',
    );
  });

  it('an invalid max-age or Expires is stale, not fresh, and never falls through to a later rule', () => {
    assert.equal(
      freshnessLifetimeMs(
        base({
          cacheControl: parseCacheControl('max-age=abc'),
          expiresHeader: 'Sun, 06 Nov 1994 09:49:37 GMT',
        }),
      ),
      0,
    );
    assert.equal(freshnessLifetimeMs(base({ cacheControl: parseCacheControl('max-age=1, max-age=2') })), 0);
    assert.equal(freshnessLifetimeMs(base({ expiresHeader: '0' })), 0);
    assert.equal(
      freshnessLifetimeMs(base({ expiresHeader: 'Sun, 06 Nov 1994 07:49:37 GMT' })),
      0,
      'in the past',
    );
  });

  it('the heuristic only where allowed and configured: a fraction of the time since Last-Modified, capped', () => {
    const lastModifiedHeader = 'Sat, 05 Nov 1994 08:49:37 GMT'; // one day before Date
    const heuristic = { fraction: 0.1, maxMs: 3_600_000 };
    assert.equal(freshnessLifetimeMs(base({ lastModifiedHeader })), 0, 'off');
    assert.equal(
      freshnessLifetimeMs(base({ lastModifiedHeader, heuristic })),
      3_600_000,
      'capped at the max',
    );
    assert.equal(
      freshnessLifetimeMs(base({ lastModifiedHeader, heuristic: { fraction: 0.01, maxMs: 1e9 } })),
      864_000,
    );
    assert.equal(freshnessLifetimeMs(base({ lastModifiedHeader, heuristic, heuristicAllowed: false })), 0);
    assert.equal(freshnessLifetimeMs(base({ heuristic })), 0, 'no Last-Modified');
  });
});

describe('currentAgeMs (RFC 9111 §4.2.3)', () => {
  it('the larger of the apparent age and Age + the round trip, plus the time stored', () => {
    const input = {
      ageHeader: undefined,
      dateHeader: 'Sun, 06 Nov 1994 08:49:37 GMT',
      requestAt: AT,
      responseAt: AT,
      nowAt: AT,
    };
    assert.equal(currentAgeMs(input), 0);
    assert.equal(currentAgeMs({ ...input, nowAt: AT + 30_000 }), 30_000, 'resident time');
    assert.equal(
      currentAgeMs({ ...input, responseAt: AT + 2_000, nowAt: AT + 2_000 }),
      2_000,
      'apparent age',
    );
    assert.equal(
      currentAgeMs({ ...input, ageHeader: '100', requestAt: AT - 500 }),
      100_500,
      'Age plus the round trip',
    );
    assert.equal(
      currentAgeMs({ ...input, ageHeader: 'nonsense', nowAt: AT + 1_000 }),
      1_000,
      'an invalid Age is ignored',
    );
    assert.equal(
      currentAgeMs({ ...input, dateHeader: 'Sun, 06 Nov 1994 09:49:37 GMT' }),
      0,
      'a Date in the future is not a negative age',
    );
  });

  it('Age is sent in whole seconds, never negative, capped at 2^31', () => {
    assert.equal(ageHeader(1_999), '1');
    assert.equal(ageHeader(-5), '0');
    assert.equal(ageHeader(1e20), String(2 ** 31));
  });
});
