import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HeaderFields, type StoreRules, storeDecision } from './storable.js';

const get = (headers: HeaderFields = {}) => ({ method: 'GET', headers });
const response = (status: number, headers: HeaderFields = {}) => ({ status, headers });
const reason = (request: ReturnType<typeof get>, res: ReturnType<typeof response>, rules?: StoreRules) => {
  const decision = storeDecision(request, res, rules);
  return decision.store ? 'stored' : decision.reason;
};

describe('storeDecision: what a shared cache may store (RFC 9111 §3)', () => {
  it('stores a GET with explicit freshness or a status cacheable by default; nothing else without the route’s TTL', () => {
    assert.equal(reason(get(), response(200, { 'cache-control': 'max-age=60' })), 'stored');
    assert.equal(reason(get(), response(200)), 'stored', '200 is heuristically cacheable');
    assert.equal(reason(get(), response(404)), 'stored');
    assert.equal(reason(get(), response(302)), 'no-freshness');
    assert.equal(reason(get(), response(302, { expires: 'Thu, 01 Jan 2099 00:00:00 GMT' })), 'stored');
    assert.equal(reason(get(), response(500)), 'no-freshness');
    assert.equal(
      reason(get(), response(500, { 'cache-control': 'max-age=5' })),
      'stored',
      'explicit freshness',
    );
    assert.equal(reason(get(), response(307, { 'cache-control': 's-maxage=5' })), 'stored');
  });

  it('never stores other methods, 1xx, 206, 304 or nonsense statuses', () => {
    for (const method of ['HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'BREW'])
      assert.equal(
        reason({ method, headers: {} }, response(200, { 'cache-control': 'max-age=60' })),
        'method',
      );
    for (const status of [100, 103, 206, 304, 600, 0, 200.5])
      assert.equal(reason(get(), response(status, { 'cache-control': 'public, max-age=60' })), 'status');
  });

  it('no-store in the request or response, and an unqualified private, are never stored', () => {
    assert.equal(reason(get({ 'cache-control': 'no-store' }), response(200)), 'request-no-store');
    assert.equal(reason(get(), response(200, { 'cache-control': 'max-age=60, No-Store' })), 'no-store');
    assert.equal(reason(get(), response(200, { 'cache-control': ['max-age=60', 'private'] })), 'private');
  });

  it('a request with Authorization only when the response says public, s-maxage or must-revalidate (§3.5)', () => {
    const auth = get({ authorization: 'Bearer a' });
    assert.equal(reason(auth, response(200, { 'cache-control': 'max-age=60' })), 'authorization');
    assert.equal(reason(auth, response(200)), 'authorization');
    for (const allowed of ['public', 's-maxage=60', 'max-age=60, must-revalidate'])
      assert.equal(reason(auth, response(200, { 'cache-control': allowed })), 'stored', allowed);
  });

  it('Vary: * and Set-Cookie are not stored; Set-Cookie only by opt-in, and then left out', () => {
    assert.equal(reason(get(), response(200, { vary: 'Accept, *' })), 'vary-star');
    const cookie = response(200, { 'cache-control': 'max-age=60', 'set-cookie': ['a=1', 'b=2'] });
    assert.equal(reason(get(), cookie), 'set-cookie');
    const decision = storeDecision(get(), cookie, { allowSetCookie: true });
    assert.ok(decision.store);
    assert.ok(decision.omitFields.has('set-cookie'));
  });

  it('leaves out hop-by-hop fields, those named by Connection, and those named by qualified private / no-cache', () => {
    const decision = storeDecision(
      get(),
      response(200, {
        'cache-control': 'max-age=60, private="X-User", no-cache="X-Token"',
        connection: 'close, X-Hop',
      }),
    );
    assert.ok(decision.store);
    for (const field of ['connection', 'keep-alive', 'transfer-encoding', 'x-hop', 'x-user', 'x-token'])
      assert.ok(decision.omitFields.has(field), field);
    assert.equal(decision.omitFields.has('content-type'), false);
  });
});
