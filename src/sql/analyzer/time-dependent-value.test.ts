import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimeDependentValue } from './time-dependent-value.js';

describe('isTimeDependentValue', () => {
  it('reports the special date/time words however Postgres would still read them', () => {
    for (const value of [
      'now',
      ' NOW ',
      'Today',
      'tomorrow 13:00',
      '13:00 yesterday',
      '{now}',
      '%now%',
      '_now',
      'now!',
    ])
      assert.equal(isTimeDependentValue(value), true, value);
  });

  it('leaves other values alone', () => {
    for (const value of [
      'nowhere',
      'todays',
      'snow',
      '2020-01-01',
      'epoch',
      'infinity',
      '',
      42,
      null,
      undefined,
      new Date(),
    ])
      assert.equal(isTimeDependentValue(value), false, String(value));
  });
});
