import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCacheControl } from './cache-control.js';
import { reuse, staleUseMs } from './reuse.js';

const stored = (cacheControl: string, ageMs: number, lifetimeMs = 60_000, route = {}) => ({
  lifetimeMs,
  ageMs,
  control: parseCacheControl(cacheControl),
  ...route,
});
const none = parseCacheControl(undefined);
const kind = (s: ReturnType<typeof stored>, request = none) => {
  const r = reuse(s, request);
  return r.kind === 'revalidate' ? `revalidate${r.staleIfError ? '+sie' : ''}` : r.kind;
};

describe('reuse of a stored response (RFC 9111 §4.2, §5.2.1; RFC 5861)', () => {
  it('answers fresh responses, revalidates stale ones', () => {
    assert.equal(kind(stored('max-age=60', 1_000)), 'fresh');
    assert.equal(kind(stored('max-age=60', 61_000)), 'revalidate');
  });

  it('honours the request’s no-cache, max-age, min-fresh, max-stale', () => {
    // Revalidated though fresh: should the origin fail, the fresh response may stand in.
    assert.equal(kind(stored('max-age=60', 1_000), parseCacheControl('no-cache')), 'revalidate+sie');
    assert.equal(kind(stored('max-age=60', 10_000), parseCacheControl('max-age=5')), 'revalidate+sie');
    assert.equal(kind(stored('max-age=60', 10_000), parseCacheControl('max-age=20')), 'fresh');
    assert.equal(kind(stored('max-age=60', 50_000), parseCacheControl('min-fresh=20')), 'revalidate+sie');
    assert.equal(kind(stored('max-age=60', 70_000), parseCacheControl('max-stale=20')), 'fresh');
    assert.equal(kind(stored('max-age=60', 90_000), parseCacheControl('max-stale=20')), 'revalidate');
    assert.equal(kind(stored('max-age=60', 900_000), parseCacheControl('max-stale')), 'fresh');
  });

  it('serves stale within stale-while-revalidate, from the directive or the route', () => {
    assert.equal(kind(stored('max-age=60, stale-while-revalidate=30', 80_000)), 'stale-while-revalidate');
    assert.equal(kind(stored('max-age=60, stale-while-revalidate=30', 95_000)), 'revalidate');
    assert.equal(
      kind(stored('max-age=60', 80_000, 60_000, { staleWhileRevalidateMs: 30_000 })),
      'stale-while-revalidate',
    );
    assert.equal(
      kind(
        stored('max-age=60, stale-while-revalidate=0', 80_000, 60_000, { staleWhileRevalidateMs: 30_000 }),
      ),
      'revalidate',
      'the response’s directive wins over the route',
    );
  });

  it('allows stale-if-error within its window, from the response, the route or the request', () => {
    assert.equal(kind(stored('max-age=60, stale-if-error=30', 80_000)), 'revalidate+sie');
    assert.equal(kind(stored('max-age=60', 80_000, 60_000, { staleIfErrorMs: 30_000 })), 'revalidate+sie');
    assert.equal(
      kind(stored('max-age=60', 80_000), parseCacheControl('stale-if-error=60')),
      'revalidate+sie',
    );
    assert.equal(kind(stored('max-age=60, stale-if-error=10', 80_000)), 'revalidate');
  });

  it('serves nothing stale under must-revalidate, proxy-revalidate, s-maxage or no-cache', () => {
    for (const directive of ['must-revalidate', 'proxy-revalidate', 's-maxage=60', 'no-cache']) {
      const s = stored(`max-age=60, ${directive}, stale-while-revalidate=600, stale-if-error=600`, 80_000);
      assert.equal(kind(s), 'revalidate', directive);
      assert.equal(kind(s, parseCacheControl('max-stale')), 'revalidate', `${directive} beats max-stale`);
      assert.equal(staleUseMs(s.control, {}), 0);
    }
    assert.equal(kind(stored('no-cache', 0)), 'revalidate', 'no-cache: revalidated even when fresh');
  });

  it('treats an invalid window as none', () => {
    assert.equal(kind(stored('max-age=60, stale-while-revalidate=abc', 61_000)), 'revalidate');
    assert.equal(staleUseMs(parseCacheControl('stale-while-revalidate=30, stale-if-error=90'), {}), 90_000);
  });
});
