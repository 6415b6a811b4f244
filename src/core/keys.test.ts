import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LarderError } from './errors.js';
import { checkKey, defaultKeyFunction, fitKey, keyProblem, namespaceBase, namespacePrefix } from './keys.js';

describe('keys', () => {
  it('builds prefix:version:key', () => {
    assert.equal(defaultKeyFunction('user:1', 'shop', 3), 'shop:3:user:1');
  });

  it('counts code points, not UTF-16 units, against the 250 limit', () => {
    const astral = '😀'.repeat(250); // 500 UTF-16 units, 250 code points
    assert.equal(keyProblem(astral), undefined);
    assert.match(keyProblem(`${astral}x`) ?? '', /longer than 250 code points/);
    assert.equal(keyProblem('a'.repeat(250)), undefined);
    assert.match(keyProblem('a'.repeat(251)) ?? '', /longer/);
  });

  it('flags whitespace and control characters, including Unicode spaces', () => {
    for (const bad of ['a b', 'a\tb', 'a\nb', 'a\u0000b', 'a\u007fb', 'a\u0085b', 'a\u00a0b', 'a\u2028b']) {
      assert.match(keyProblem(bad) ?? '', /whitespace or control/, JSON.stringify(bad));
    }
    assert.equal(keyProblem('ünïcödé:ключ:键'), undefined);
  });

  it("throws E_INVALID_KEY under 'error' and passes under 'off'", () => {
    assert.throws(
      () => checkKey('has space', 'error'),
      (e) => e instanceof LarderError && e.code === 'E_INVALID_KEY',
    );
    checkKey('has space', 'off');
  });

  it('hashes keys longer than the store allows, into a layout no plain key can take', () => {
    const long = `p:1:${'x'.repeat(300)}`;
    const fitted = fitKey(long, 'p', 1, 250);
    assert.match(fitted, /^p:1#[A-Za-z0-9_-]{43}$/);
    assert.notEqual(fitKey(`p:1:${'x'.repeat(299)}y`, 'p', 1, 250), fitted);
    assert.equal(fitKey('p:1:short', 'p', 1, 250), 'p:1:short');
    assert.equal(fitKey(long, 'p', 1, undefined), long);
  });

  it('encodes namespace names so that no name can imitate another layout', () => {
    assert.equal(namespacePrefix('app', 'users', 7), 'app/users#7');
    assert.equal(namespaceBase('app', 'a:b/c#d e'), 'app/a%3Ab%2Fc%23d%20e#');
    assert.notEqual(namespacePrefix('app', 'a#1', 2), namespacePrefix('app', 'a', 12));
    assert.throws(
      () => namespaceBase('app', ''),
      (e) => e instanceof LarderError && e.code === 'E_INVALID_NAMESPACE',
    );
  });
});
