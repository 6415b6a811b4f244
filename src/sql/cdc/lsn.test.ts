import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { formatLsn, parseLsn } from './lsn.js';

describe('LSN text', () => {
  it('parses both halves and prints them back as Postgres does', () => {
    assert.equal(parseLsn('16/B374D848'), 0x16_b374_d848n);
    assert.equal(parseLsn('0/0'), 0n);
    assert.equal(parseLsn('FFFFFFFF/FFFFFFFF'), 0xffff_ffff_ffff_ffffn);
    assert.equal(formatLsn(0x16_b374_d848n), '16/B374D848');
    assert.equal(formatLsn(0n), '0/0');
    assert.equal(formatLsn(parseLsn('0/1516a90')), '0/1516A90');
  });

  it('orders like the WAL: the low half never carries into a wrong comparison', () => {
    assert.ok(parseLsn('1/0') > parseLsn('0/FFFFFFFF'));
  });

  it('refuses what is not an LSN', () => {
    for (const text of ['', '16', '16/', 'x/1', '1/2/3', '123456789/0']) {
      assert.throws(
        () => parseLsn(text),
        (e) => isLarderError(e, 'E_INVALID_OPTION'),
        text,
      );
    }
  });
});
