import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyStreamFailure } from './stream-failure.js';

/** An error shaped like node-postgres's DatabaseError. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyStreamFailure', () => {
  it('a missing, invalidated or WAL-less slot, or a dropped publication, means re-create + full invalidation', () => {
    for (const error of [
      pgError('42704', 'replication slot "larder" does not exist'),
      pgError('55000', 'can no longer get changes from replication slot "larder"'),
      pgError('55000', 'cannot read from logical replication slot "larder"'),
      pgError('58P01', 'requested WAL segment 000000010000000000000003 has already been removed'),
      pgError('42704', 'publication "larder" does not exist'),
    ]) {
      assert.equal(classifyStreamFailure(error).kind, 'slot-unusable', error.message);
    }
  });

  it('a slot held by another backend means wait', () => {
    const failure = classifyStreamFailure(pgError('55006', 'replication slot "larder" is active for PID 42'));
    assert.deepEqual(failure, {
      kind: 'slot-busy',
      reason: 'replication slot "larder" is active for PID 42',
    });
  });

  it('anything else is transient: reconnect', () => {
    for (const error of [
      new Error('Connection terminated unexpectedly'),
      pgError('57P01', 'terminating connection due to administrator command'),
      'a string',
    ]) {
      assert.equal(classifyStreamFailure(error).kind, 'transient');
    }
  });
});
