import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { functionVolatility } from './function-volatility.js';

describe('functionVolatility', () => {
  it('time, randomness, sequences, session state and side effects are volatile, qualified or not', () => {
    for (const name of [
      'now',
      'random',
      'nextval',
      'current_setting',
      'set_config',
      'pg_notify',
      'txid_current',
    ])
      for (const schema of [undefined, 'pg_catalog'])
        assert.equal(functionVolatility(schema, name, 1), 'volatile', `${schema}.${name}`);
  });

  it('families by prefix: advisory locks, sleeps, dblink, uuid-ossp, statistics, privileges', () => {
    for (const name of [
      'pg_advisory_xact_lock',
      'pg_try_advisory_lock_shared',
      'pg_sleep_for',
      'dblink_exec',
      'uuid_generate_v4',
      'pg_stat_get_live_tuples',
      'has_schema_privilege',
    ])
      assert.equal(functionVolatility(undefined, name, 1), 'volatile', name);
  });

  it('aggregates, window, string, math, date and json functions are safe', () => {
    for (const name of [
      'count',
      'row_number',
      'lower',
      'round',
      'date_trunc',
      'jsonb_build_object',
      'unnest',
    ])
      assert.equal(functionVolatility(undefined, name, 1), 'safe', name);
    assert.equal(functionVolatility('pg_catalog', 'extract', 2), 'safe');
  });

  it('age(x) counts from today, age(a, b) does not', () => {
    assert.equal(functionVolatility(undefined, 'age', 1), 'volatile');
    assert.equal(functionVolatility(undefined, 'age', 2), 'safe');
  });

  it('user functions and names qualified outside pg_catalog are unknown, even when they shadow a built-in', () => {
    assert.equal(functionVolatility(undefined, 'slugify', 1), 'unknown');
    assert.equal(functionVolatility('public', 'lower', 1), 'unknown');
    assert.equal(functionVolatility('app', 'now', 0), 'unknown');
  });
});
