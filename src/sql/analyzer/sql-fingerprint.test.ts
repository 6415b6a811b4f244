/**
 * The fingerprint pass over normalized SQL (no parser needed): comments go,
 * their hints stay; string literals normalization left become `$n`; quoted
 * identifiers and parameters are kept; whitespace collapses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fingerprintSql } from './sql-fingerprint.js';

describe('fingerprintSql', () => {
  it('drops line, block and nested block comments', () => {
    assert.equal(
      fingerprintSql("SELECT /* a /* nested */ still */ $1 -- end\nFROM t /*traceparent='00-ab-01'*/")
        .fingerprint,
      'SELECT $1 FROM t',
    );
  });

  it('replaces remaining string literals, with their prefixes and escapes, numbering after the last $n', () => {
    assert.equal(fingerprintSql("COMMENT ON TABLE t IS 'it''s'").fingerprint, 'COMMENT ON TABLE t IS $1');
    assert.equal(
      fingerprintSql("SELECT $3, E'a\\'b', B'101', X'ff', U&'x'").fingerprint,
      'SELECT $3, $4, $5, $6, $7',
    );
    assert.equal(fingerprintSql('DO $body$ secret $body$; SELECT $$x$$').fingerprint, 'DO $1; SELECT $2');
  });

  it('keeps quoted identifiers, comment markers inside them, and keywords ending in a prefix letter', () => {
    assert.equal(
      fingerprintSql('SELECT "a--b", "x/*y" FROM "T" WHERE type = $1').fingerprint,
      'SELECT "a--b", "x/*y" FROM "T" WHERE type = $1',
    );
    assert.equal(
      fingerprintSql("CREATE TABLE t (c text DEFAULT 'x')").fingerprint,
      'CREATE TABLE t (c text DEFAULT $1)',
    );
    assert.equal(
      fingerprintSql("SELECT typname FROM t WHERE typ='x'").fingerprint,
      'SELECT typname FROM t WHERE typ=$1',
    );
  });

  it('collapses whitespace', () => {
    assert.equal(fingerprintSql('  SELECT *\n\t FROM   t  ').fingerprint, 'SELECT * FROM t');
  });

  it('reads skip, cache and ttl hints from comments only', () => {
    assert.deepEqual(fingerprintSql('/* larder:skip */ SELECT 1').hint, { skip: true });
    assert.deepEqual(fingerprintSql('SELECT 1 -- larder:cache, larder:ttl=90s').hint, {
      force: true,
      ttl: '90s',
    });
    assert.deepEqual(fingerprintSql('/*larder:ttl=1m*/ SELECT 1 /* larder:ttl=2m larder:skip */').hint, {
      ttl: '1m',
      skip: true,
    });
    assert.equal(fingerprintSql('SELECT \'larder:skip\', "larder:cache" FROM t').hint, undefined);
    assert.equal(fingerprintSql('SELECT 1 /* notlarder:skip */').hint, undefined);
    assert.equal(fingerprintSql('SELECT 1').hint, undefined);
  });

  it('returns a frozen hint', () => {
    assert.ok(Object.isFrozen(fingerprintSql('-- larder:skip\nSELECT 1').hint));
  });
});
