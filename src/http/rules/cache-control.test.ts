import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deltaSeconds, parseCacheControl, qualifiedFields } from './cache-control.js';

const entries = (value: string | readonly string[]) =>
  Object.fromEntries(parseCacheControl(value).directives);

describe('parseCacheControl (RFC 9111 §5.2)', () => {
  it('reads names case-insensitively, arguments as tokens or quoted strings, across field lines', () => {
    assert.deepEqual(entries('Public, MAX-AGE=60'), { public: true, 'max-age': '60' });
    assert.deepEqual(entries(['no-cache', 's-maxage=5']), { 'no-cache': true, 's-maxage': '5' });
    assert.deepEqual(entries('private="Set-Cookie, X-User", max-age=0'), {
      private: 'Set-Cookie, X-User',
      'max-age': '0',
    });
    assert.deepEqual(entries('ext="a \\"quoted\\" \\\\ value", no-store'), {
      ext: 'a "quoted" \\ value',
      'no-store': true,
    });
  });

  it('skips malformed members and keeps the rest, never throwing', () => {
    for (const value of [
      '',
      ',,,',
      '=5',
      'max-age=',
      'a b=1',
      'x="unclosed, max-age=5',
      '"q"=1',
      'max-age=1 2',
      '\u0000',
    ]) {
      assert.doesNotThrow(() => parseCacheControl(value), value);
    }
    assert.deepEqual(entries('bogus stuff, max-age=5, =, no-store'), { 'max-age': '5', 'no-store': true });
    assert.deepEqual(
      entries('x="unclosed, max-age=5'),
      {},
      'an unclosed quote swallows the rest of the line',
    );
  });

  it('max-age that is not delta-seconds, or given twice differently, is stale (null); huge values cap at 2^31', () => {
    assert.equal(deltaSeconds(parseCacheControl('max-age=60'), 'max-age'), 60);
    assert.equal(deltaSeconds(parseCacheControl('max-age="60"'), 'max-age'), 60);
    assert.equal(deltaSeconds(parseCacheControl('s-maxage=9'), 'max-age'), undefined);
    assert.equal(deltaSeconds(parseCacheControl('max-age=-1'), 'max-age'), null);
    assert.equal(deltaSeconds(parseCacheControl('max-age=1.5'), 'max-age'), null);
    assert.equal(deltaSeconds(parseCacheControl('max-age'), 'max-age'), null);
    assert.equal(deltaSeconds(parseCacheControl('max-age=60, max-age=120'), 'max-age'), null);
    assert.equal(deltaSeconds(parseCacheControl('max-age=60, max-age=60'), 'max-age'), 60);
    assert.equal(deltaSeconds(parseCacheControl('max-age=99999999999999999999'), 'max-age'), 2 ** 31);
  });

  it('qualified private / no-cache list their fields; unqualified ones cover the whole response', () => {
    assert.equal(qualifiedFields(parseCacheControl('max-age=5'), 'private'), undefined);
    assert.equal(qualifiedFields(parseCacheControl('private'), 'private'), true);
    assert.equal(qualifiedFields(parseCacheControl('private=""'), 'private'), true);
    assert.deepEqual(
      qualifiedFields(parseCacheControl('no-cache="Set-Cookie, x-a"'), 'no-cache'),
      new Set(['set-cookie', 'x-a']),
    );
    // A substring search would see "private" here; a directive parser does not.
    assert.equal(qualifiedFields(parseCacheControl('x-not-private, max-age=5'), 'private'), undefined);
  });
});
