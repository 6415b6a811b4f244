import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidatedTargets, isUnsafeMethod } from './invalidation.js';

const post = { method: 'POST', scheme: 'https', host: 'shop.example', target: '/products/1?x=1' };

describe('invalidation by unsafe methods (RFC 9111 §4.4)', () => {
  it('treats every method but GET, HEAD, OPTIONS and TRACE as unsafe, unknown ones included', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'PURGE', 'FROB'])
      assert.equal(isUnsafeMethod(method), true);
    for (const method of ['GET', 'head', 'OPTIONS', 'TRACE']) assert.equal(isUnsafeMethod(method), false);
  });

  it('invalidates the target and same-origin Location / Content-Location after a non-error response', () => {
    assert.deepEqual(
      invalidatedTargets(post, 303, {
        location: '/products/1',
        'content-location': 'https://shop.example/list?page=2',
      }),
      ['/products/1?x=1', '/products/1', '/list?page=2'],
    );
    assert.deepEqual(invalidatedTargets(post, 204, {}), ['/products/1?x=1']);
  });

  it('never invalidates another origin’s URIs, and nothing after an error or for a safe method', () => {
    assert.deepEqual(
      invalidatedTargets(post, 201, {
        location: 'https://evil.example/products/1',
        'content-location': 'http://shop.example/x',
      }),
      ['/products/1?x=1'],
    );
    assert.deepEqual(invalidatedTargets(post, 500, {}), []);
    assert.deepEqual(invalidatedTargets(post, 404, {}), []);
    assert.deepEqual(invalidatedTargets({ ...post, method: 'GET' }, 200, {}), []);
    assert.deepEqual(
      invalidatedTargets(post, 302, { location: 'http://[bad' }),
      ['/products/1?x=1'],
      'a bad URI is skipped',
    );
  });
});
