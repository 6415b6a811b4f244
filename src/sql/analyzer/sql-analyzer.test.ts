/**
 * The parse cache of SqlAnalyzer: a hit is the same frozen analysis object
 * with parseMs 0; the cache stays within its size however many distinct texts
 * pass; recently used texts survive a stream of one-off texts; long texts and
 * cacheSize 0 are not kept; options are validated.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import { loadSqlParser } from './load-sql-parser.js';
import { SqlAnalyzer } from './sql-analyzer.js';

const text = (i: number) => `SELECT * FROM t${i} WHERE id = $1`;

describe('SqlAnalyzer', () => {
  before(() => loadSqlParser());

  it('a repeated text returns the same frozen analysis with parseMs 0', () => {
    const analyzer = new SqlAnalyzer();
    const miss = analyzer.analyze(text(1));
    assert.ok(miss.parseMs > 0, `parseMs ${miss.parseMs}`);
    const hit = analyzer.analyze(text(1));
    assert.equal(hit.parseMs, 0);
    assert.equal(analyzer.analyze(text(1)), hit, 'every hit is the same object');
    assert.deepEqual({ ...hit, parseMs: miss.parseMs }, { ...miss });
    assert.ok(Object.isFrozen(hit) && Object.isFrozen(hit.reads) && Object.isFrozen(hit.statements[0]));
    assert.equal(analyzer.size, 1);
  });

  it('keys by the exact text: whitespace or case differences are other entries', () => {
    const analyzer = new SqlAnalyzer();
    analyzer.analyze('SELECT * FROM t');
    analyzer.analyze('SELECT *  FROM t');
    analyzer.analyze('select * from t');
    assert.equal(analyzer.size, 3);
  });

  it('stays within cacheSize however many distinct texts pass', () => {
    for (const cacheSize of [1, 2, 3, 4, 10]) {
      const analyzer = new SqlAnalyzer({ cacheSize });
      for (let i = 0; i < 50; i++) {
        analyzer.analyze(text(i));
        assert.ok(analyzer.size <= cacheSize, `cacheSize ${cacheSize}: size ${analyzer.size} after ${i + 1}`);
      }
      assert.ok(analyzer.size >= Math.min(cacheSize, 1));
    }
  });

  it('a text in use survives a stream of one-off texts; an unused one is dropped', () => {
    const analyzer = new SqlAnalyzer({ cacheSize: 4 });
    const hot = analyzer.analyze(text(0));
    const cold = analyzer.analyze(text(1));
    const hotHit = analyzer.analyze(text(0));
    const coldHit = analyzer.analyze(text(1));
    for (let i = 2; i < 40; i++) {
      analyzer.analyze(text(i));
      // Used once every other insertion: well within a generation (2 entries).
      assert.equal(analyzer.analyze(text(0)), hotHit, `hot text evicted after ${i}`);
    }
    assert.notEqual(hot, hotHit, 'the miss carried its own parseMs');
    assert.notEqual(analyzer.analyze(text(1)), coldHit, 'the unused text was evicted and parsed again');
    assert.equal(cold.parseMs > 0, true);
  });

  it('cacheSize 0 keeps nothing', () => {
    const analyzer = new SqlAnalyzer({ cacheSize: 0 });
    const first = analyzer.analyze(text(1));
    const second = analyzer.analyze(text(1));
    assert.notEqual(first, second);
    assert.ok(second.parseMs > 0);
    assert.equal(analyzer.size, 0);
  });

  it('texts longer than maxTextLength are analyzed every time and not kept', () => {
    const analyzer = new SqlAnalyzer({ maxTextLength: 40 });
    const long = `SELECT * FROM products WHERE id IN (${Array.from({ length: 20 }, (_, i) => `$${i + 1}`).join(', ')})`;
    assert.notEqual(analyzer.analyze(long), analyzer.analyze(long));
    assert.equal(analyzer.size, 0);
    analyzer.analyze('SELECT * FROM t');
    assert.equal(analyzer.size, 1);
  });

  it('clear() forgets every analysis', () => {
    const analyzer = new SqlAnalyzer();
    const first = analyzer.analyze(text(1));
    analyzer.analyze(text(1));
    analyzer.clear();
    assert.equal(analyzer.size, 0);
    assert.notEqual(analyzer.analyze(text(1)), first);
  });

  it('applies its allowFunctions to every text', () => {
    const analyzer = new SqlAnalyzer({ allowFunctions: ['slugify'] });
    assert.equal(analyzer.analyze('SELECT slugify(name) FROM products').bypass, undefined);
    assert.equal(new SqlAnalyzer().analyze('SELECT slugify(name) FROM products').bypass, 'unknown-function');
  });

  it('rejects invalid options with E_INVALID_OPTION naming the option', () => {
    const cases: [object, RegExp][] = [
      [{ cacheSize: -1 }, /^larder\/sql: cacheSize\b.* must be /],
      [{ cacheSize: 1.5 }, /^larder\/sql: cacheSize\b.* must be /],
      [{ maxTextLength: Number.NaN }, /^larder\/sql: maxTextLength\b.* must be /],
      [{ allowFunctions: 'slugify' }, /^larder\/sql: allowFunctions\b.* must be /],
      [{ allowFunctions: [''] }, /^larder\/sql: allowFunctions\b.* must be /],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new SqlAnalyzer(options as never),
        (error: unknown) => isLarderError(error, 'E_INVALID_OPTION') && message.test(error.message),
      );
    }
  });
});
