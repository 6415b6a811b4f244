/** The wrapper's counters: per fingerprint and per table, bounded, published on the diagnostics channels. */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { SQL_CHANNELS } from './sql-channels.js';
import { OTHER_FINGERPRINT, SqlCounters } from './sql-stats.js';

describe('SqlCounters', () => {
  it('counts hits, misses and bypasses with their reasons per fingerprint', () => {
    const counters = new SqlCounters(10);
    counters.query('SELECT a', 'miss', undefined, 2);
    counters.query('SELECT a', 'hit', undefined, 0);
    counters.query('UPDATE a', 'bypass', 'write', 1);
    counters.query('UPDATE a', 'bypass', 'write', 0);
    const stats = counters.snapshot();
    assert.deepEqual([stats.hits, stats.misses, stats.bypasses], [1, 1, 2]);
    assert.deepEqual(stats.queries[0], {
      fingerprint: 'SELECT a',
      hits: 1,
      misses: 1,
      bypasses: 0,
      reasons: {},
      parseMs: 2,
    });
    assert.deepEqual(stats.queries[1]?.reasons, { write: 2 });
  });

  it('keeps at most maxFingerprints, the rest under (other)', () => {
    const counters = new SqlCounters(2);
    for (let i = 0; i < 5; i++) counters.query(`SELECT ${i}`, 'hit', undefined, 0);
    const stats = counters.snapshot();
    assert.deepEqual(
      stats.queries.map((q) => [q.fingerprint, q.hits]),
      [
        ['SELECT 0', 1],
        ['SELECT 1', 1],
        [OTHER_FINGERPRINT, 3],
      ],
    );
  });

  it('counts invalidations per table and publishes counts, never names', () => {
    const counters = new SqlCounters(10);
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push(message);
    diagnostics.subscribe(SQL_CHANNELS.invalidate, listener);
    try {
      counters.invalidation(['public.a', 'public.b'], 'commit');
      counters.invalidation(['public.a'], 'statement');
      counters.invalidation(['*'], 'commit');
    } finally {
      diagnostics.unsubscribe(SQL_CHANNELS.invalidate, listener);
    }
    assert.deepEqual(counters.snapshot().tables, { 'public.a': 2, 'public.b': 1, '*': 1 });
    assert.equal(counters.snapshot().invalidations, 3);
    assert.deepEqual(seen, [
      { tables: 2, source: 'commit' },
      { tables: 1, source: 'statement' },
      { tables: 1, source: 'full' },
    ]);
  });
});
