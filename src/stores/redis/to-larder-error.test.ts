import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientClosedError, ClientOfflineError, ErrorReply, SocketClosedUnexpectedlyError } from 'redis';
import { LarderError } from '../../core/errors.js';
import { isServerReply, toLarderError } from './to-larder-error.js';

describe('toLarderError', () => {
  const cases: Array<[string, Error, string]> = [
    ['OOM', new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."), 'E_STORE_OOM'],
    [
      'OOM inside a script',
      new ErrorReply(
        "OOM command not allowed when used memory > 'maxmemory'. script: abc, on @user_script:2.",
      ),
      'E_STORE_OOM',
    ],
    [
      'WRONGTYPE',
      new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'),
      'E_WRONG_TYPE',
    ],
    [
      'WRONGTYPE inside a script',
      new ErrorReply(
        'WRONGTYPE Operation against a key holding the wrong kind of value script: abc, on @user_script:2.',
      ),
      'E_WRONG_TYPE',
    ],
    ['not an integer', new ErrorReply('ERR value is not an integer or out of range'), 'E_NOT_INTEGER'],
    [
      'not an integer inside a script',
      new ErrorReply('ERR value is not an integer or out of range script: abc, on @user_script:2.'),
      'E_NOT_INTEGER',
    ],
    [
      'a script runtime error',
      new ErrorReply(
        "ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: abc, on @user_script:1.",
      ),
      'E_SCRIPT',
    ],
    [
      'a script compile error',
      new ErrorReply('ERR Error compiling script (new function): user_script:1: unexpected symbol'),
      'E_SCRIPT',
    ],
    ['NOSCRIPT', new ErrorReply('NOSCRIPT No matching script. Please use EVAL.'), 'E_SCRIPT'],
    ['another server error', new ErrorReply('ERR syntax error'), 'E_STORE'],
    ['READONLY replica', new ErrorReply("READONLY You can't write against a read only replica."), 'E_STORE'],
    ['client closed', new ClientClosedError(), 'E_STORE'],
    ['client offline', new ClientOfflineError(), 'E_STORE'],
    ['socket closed', new SocketClosedUnexpectedlyError(), 'E_STORE'],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'E_STORE',
    ],
  ];

  for (const [name, error, code] of cases) {
    it(`maps ${name} to ${code}, keeping the cause`, () => {
      const mapped = toLarderError(error);
      assert.ok(mapped instanceof LarderError);
      assert.equal(mapped.code, code);
      assert.equal(mapped.cause, error);
      assert.ok(mapped.message.includes(error.message));
    });
  }

  it('passes a LarderError through unchanged', () => {
    const error = new LarderError('E_MISSING_KEY', 'missing');
    assert.equal(toLarderError(error), error);
  });

  it('wraps non-errors', () => {
    const mapped = toLarderError('boom');
    assert.equal(mapped.code, 'E_STORE');
    assert.equal(mapped.cause, 'boom');
  });
});

describe('isServerReply', () => {
  it('tells server replies from connection failures', () => {
    assert.equal(isServerReply(new ErrorReply('OOM command not allowed')), true);
    assert.equal(isServerReply(new ErrorReply('ERR syntax error')), true);
    assert.equal(isServerReply(new ClientOfflineError()), false);
    assert.equal(isServerReply(new SocketClosedUnexpectedlyError()), false);
    assert.equal(isServerReply(new Error('connect ECONNREFUSED 127.0.0.1:1')), false);
    assert.equal(isServerReply('OOM'), false);
  });
});
