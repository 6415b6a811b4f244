import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshenedFields, notModified, notModifiedFields, revalidationFields } from './conditional.js';

const stored = { etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' };

describe('conditional requests answered by the cache (RFC 9110 §13, RFC 9111 §4.3.2)', () => {
  it('matches If-None-Match by weak comparison, * included', () => {
    assert.equal(notModified({ 'if-none-match': '"v1"' }, stored), true);
    assert.equal(notModified({ 'if-none-match': 'W/"v1"' }, stored), true);
    assert.equal(notModified({ 'if-none-match': '"v0", "v1"' }, stored), true);
    assert.equal(notModified({ 'if-none-match': '"v2"' }, stored), false);
    assert.equal(notModified({ 'if-none-match': '*' }, stored), true);
    assert.equal(
      notModified({ 'if-none-match': '"v1"' }, { etag: undefined, lastModified: undefined }),
      false,
    );
  });

  it('uses If-Modified-Since only without If-None-Match, and ignores an invalid date', () => {
    assert.equal(notModified({ 'if-modified-since': 'Tue, 01 Dec 2026 10:00:00 GMT' }, stored), true);
    assert.equal(notModified({ 'if-modified-since': 'Mon, 30 Nov 2026 10:00:00 GMT' }, stored), false);
    assert.equal(notModified({ 'if-modified-since': 'yesterday' }, stored), false);
    assert.equal(
      notModified({ 'if-none-match': '"v2"', 'if-modified-since': 'Tue, 01 Dec 2026 10:00:00 GMT' }, stored),
      false,
      'If-None-Match takes precedence (RFC 9110 §13.2.2)',
    );
  });

  it('sends the metadata fields of RFC 9110 §15.4.5 with a 304, not the body’s', () => {
    const fields = notModifiedFields({
      etag: '"v1"',
      'cache-control': 'max-age=60',
      vary: 'Accept',
      'content-type': 'text/html',
      'content-length': '42',
    });
    assert.deepEqual(Object.keys(fields).sort(), ['cache-control', 'etag', 'vary']);
  });
});

describe('revalidation and freshening (RFC 9111 §3.2, §4.3.1, §4.3.4)', () => {
  it('sends the stored validators', () => {
    assert.deepEqual(revalidationFields(stored), {
      'if-none-match': '"v1"',
      'if-modified-since': 'Tue, 01 Dec 2026 10:00:00 GMT',
    });
    assert.deepEqual(revalidationFields({ etag: undefined, lastModified: undefined }), {});
  });

  it('updates the stored fields from a 304, but Content-Length and hop-by-hop fields', () => {
    const updated = freshenedFields(
      { etag: '"v1"', 'cache-control': 'max-age=1', 'content-length': '9', 'x-version': 'old' },
      stored,
      {
        etag: '"v1"',
        'cache-control': 'max-age=60',
        'content-length': '0',
        connection: 'close',
        'x-version': 'new',
      },
    );
    assert.deepEqual(updated, {
      etag: '"v1"',
      'cache-control': 'max-age=60',
      'content-length': '9',
      'x-version': 'new',
    });
  });

  it('updates nothing when the 304’s strong validator names another representation', () => {
    assert.equal(freshenedFields({ etag: '"v1"' }, stored, { etag: '"v2"' }), undefined);
    assert.equal(
      freshenedFields({}, { etag: undefined, lastModified: undefined }, { etag: '"v2"' }),
      undefined,
    );
    assert.deepEqual(
      freshenedFields({ a: '1' }, stored, { b: '2' }),
      { a: '1', b: '2' },
      'no validator: the one stored response',
    );
  });
});
