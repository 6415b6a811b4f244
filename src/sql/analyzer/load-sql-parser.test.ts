/**
 * Before `loadSqlParser()` resolves, analyzing SQL fails with a LarderError that
 * says what to do (this file must not load the parser before that test: each
 * test file runs in its own process); afterwards loading is idempotent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { analyzeSql } from './analyze-sql.js';
import { isSqlParserLoaded, loadSqlParser } from './load-sql-parser.js';
import { SqlAnalyzer } from './sql-analyzer.js';

describe('loadSqlParser', () => {
  it('analyzing before the parser is loaded throws a LarderError naming loadSqlParser()', () => {
    assert.equal(isSqlParserLoaded(), false);
    for (const analyze of [() => analyzeSql('SELECT 1'), () => new SqlAnalyzer().analyze('SELECT 1')]) {
      assert.throws(analyze, (error: unknown) => {
        assert.ok(isLarderError(error, 'E_SQL_PARSER'));
        assert.match(error.message, /loadSqlParser\(\)/);
        return true;
      });
    }
  });

  it('loads once: every call returns the same promise, and analysis then works', async () => {
    const first = loadSqlParser();
    assert.equal(loadSqlParser(), first);
    await first;
    assert.equal(isSqlParserLoaded(), true);
    assert.equal(analyzeSql('SELECT * FROM t').bypass, undefined);
    await loadSqlParser();
  });
});
