/** The E_INVALIDATION_PENDING rejection: says the statement committed, names the tables, keeps the cause. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError, LarderError } from '../core/errors.js';
import { invalidationPendingError } from './invalidation-pending-error.js';

describe('invalidationPendingError', () => {
  it('says the statement committed and the replay goes on, names the tables', () => {
    const error = invalidationPendingError(
      { labels: ['app.orders'], journaled: true, cause: undefined },
      2000,
    );
    assert.ok(isLarderError(error, 'E_INVALIDATION_PENDING'));
    assert.match(error.message, /COMMITTED \(do not retry it\)/);
    assert.match(error.message, /app\.orders was not stored within 2000 ms/);
    assert.match(error.message, /retrying it in the background/);
    assert.equal(error.cause, undefined);
  });

  it('keeps the cause, tells a refusal from a journaled bump, and caps the table list', () => {
    const cause = new LarderError('E_CLOSED', 'the cache is closed');
    const labels = Array.from({ length: 8 }, (_, i) => `s.t${i}`);
    const error = invalidationPendingError({ labels, journaled: false, cause }, 2000);
    assert.equal(error.cause, cause);
    assert.match(error.message, /s\.t0, s\.t1, s\.t2, s\.t3, s\.t4 and 3 more was refused by the cache/);
    assert.doesNotMatch(error.message, /s\.t5/);
  });
});
