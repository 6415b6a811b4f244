/**
 * analyzeSql beyond the corpus: it never throws for bad SQL, its results are
 * frozen, statements keep their order (the wrapper replays transaction control
 * in order), non-ASCII text and identifiers survive, and allowFunctions is
 * validated.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { analyzeSql } from './analyze-sql.js';
import { loadSqlParser } from './load-sql-parser.js';

describe('analyzeSql', () => {
  before(() => loadSqlParser());

  it('never throws for text that is not SQL', () => {
    for (const text of [
      'garbage',
      ')',
      "'",
      '/*',
      '$$',
      'SELECT (',
      '\u0000',
      'SELECT * FROM t\u0000; DELETE FROM t',
      'SELECT 1 FROM t WHERE x = \u00e9\u00e9(',
    ]) {
      const analysis = analyzeSql(text);
      assert.equal(analysis.bypass, 'parse-error', text);
      assert.deepEqual(analysis.statements, []);
      assert.equal(analysis.fingerprint, '<parse error>');
    }
  });

  it('returns deeply frozen analyses', () => {
    const analysis = analyzeSql(
      'WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x JOIN u USING (id)',
    );
    const statement = analysis.statements[0];
    assert.ok(statement !== undefined);
    for (const part of [
      analysis,
      analysis.statements,
      analysis.reads,
      analysis.writes,
      statement,
      statement.reads,
      statement.writes,
      statement.functions,
      statement.reads[0],
    ])
      assert.ok(Object.isFrozen(part));
  });

  it('keeps the statements of a text in order, each with its own transaction control', () => {
    const analysis = analyzeSql(
      'BEGIN; SAVEPOINT a; INSERT INTO t VALUES (1); ROLLBACK TO a; RELEASE a; COMMIT',
    );
    assert.deepEqual(
      analysis.statements.map((statement) => statement.transaction?.kind ?? statement.kind),
      ['begin', 'savepoint', 'insert', 'rollback-to', 'release', 'commit'],
    );
    assert.equal(analysis.bypass, 'multiple-statements');
  });

  it('handles non-ASCII identifiers and literals', () => {
    const analysis = analyzeSql('SELECT * FROM café."Tëst" WHERE name = \'naïve\' -- é larder:ttl=1h');
    assert.deepEqual(analysis.reads, [{ schema: 'café', name: 'Tëst' }]);
    assert.equal(analysis.fingerprint, 'SELECT * FROM café."Tëst" WHERE name = $1');
    assert.deepEqual(analysis.hint, { ttl: '1h' });
  });

  it('lists a relation once however often it is named', () => {
    const analysis = analyzeSql('SELECT * FROM t a JOIN t b USING (id) WHERE EXISTS (SELECT 1 FROM t)');
    assert.deepEqual(analysis.reads, [{ schema: undefined, name: 't' }]);
  });

  it('measures parseMs', () => {
    assert.ok(analyzeSql('SELECT * FROM t').parseMs > 0);
  });

  it('validates allowFunctions', () => {
    assert.throws(
      () => analyzeSql('SELECT 1', { allowFunctions: [42 as unknown as string] }),
      (error: unknown) => isLarderError(error, 'E_INVALID_OPTION') && /allowFunctions/.test(error.message),
    );
    assert.equal(analyzeSql('SELECT now() FROM t', { allowFunctions: new Set(['now']) }).bypass, undefined);
  });
});
