import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSessionSecret, sessionKey } from './session-key.js';

const secret = checkSessionSecret('a-secret-of-at-least-thirty-two-bytes!!');

describe('sessionKey: a keyed hash of the session id', () => {
  it('is stable for one id and secret, different for another id or secret, and never contains the id', () => {
    const id = 'Zr9wJ3kQ0x1mV7nP2sT5uY8bC4dF6gH0';
    const key = sessionKey(id, secret) as string;
    assert.equal(sessionKey(id, secret), key);
    assert.notEqual(sessionKey(`${id}x`, secret), key);
    assert.notEqual(sessionKey(id, checkSessionSecret('another-secret-of-at-least-thirty-two-b')), key);
    assert.ok(!key.includes(id));
    assert.match(key, /^sess:[A-Za-z0-9_-]{43}$/);
  });

  it('refuses ids that cannot be one: the request has no session', () => {
    for (const id of [undefined, null, '', 42, 'x'.repeat(513), { toString: () => 'sid' }])
      assert.equal(sessionKey(id, secret), undefined, String(id));
    assert.notEqual(sessionKey('x'.repeat(512), secret), undefined);
  });

  it('refuses a short or missing secret without showing it', () => {
    assert.throws(
      () => checkSessionSecret('short-secret'),
      (error: Error) => {
        assert.match(
          error.message,
          /sessionStore: secret must be a string or Buffer of at least 32 bytes, got 12 bytes \(not shown\)/,
        );
        assert.ok(!error.message.includes('short-secret'));
        return true;
      },
    );
    assert.throws(() => checkSessionSecret(undefined), /got undefined/);
    assert.ok(checkSessionSecret(Buffer.alloc(32, 7)).byteLength === 32);
  });
});
