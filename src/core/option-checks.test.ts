/** One message format for every E_INVALID_OPTION, and values shown safely. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isLarderError } from './errors.js';
import { invalidOption, ShownAs, showValue } from './invalid-option.js';
import { optionChecks } from './option-checks.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isLarderError(error, 'E_INVALID_OPTION'), String(error));
    return error.message;
  }
  assert.fail('did not throw');
}

describe('option checks', () => {
  it('reads "<scope>: <path> must be <expected>, got <value>", without a scope for one call', () => {
    const check = optionChecks('redisStore');
    assert.equal(
      thrown(() => check.positive('connectTimeout', 0)),
      'redisStore: connectTimeout must be a positive finite number, got 0',
    );
    assert.equal(
      thrown(() => optionChecks().integer('delta', 1.5)),
      'delta must be an integer, got 1.5',
    );
    assert.equal(
      thrown(() => check.oneOf('mode', 'x', ['a', 'b'] as const)),
      "redisStore: mode must be 'a' or 'b', got \"x\"",
    );
    assert.equal(
      thrown(() => check.integer('n', 0, 1)),
      'redisStore: n must be an integer >= 1, got 0',
    );
    assert.equal(
      thrown(() => check.flag('f', 'yes', false)),
      'redisStore: f must be true or false, got "yes"',
    );
    assert.equal(
      thrown(() => check.callable('fn', 3, 'a function')),
      'redisStore: fn must be a function, got 3',
    );
  });

  it('resolves durations to whole ms once, in bounds', () => {
    const check = optionChecks('x');
    assert.equal(check.duration('d', undefined, 7), 7);
    assert.equal(check.duration('d', '1.5s', 0), 1500);
    assert.equal(check.duration('d', 0.2, 0), 1, 'a fraction rounds up');
    assert.equal(check.duration('d', '2m', 0, 1, 120_000), 120_000);
    assert.equal(
      thrown(() => check.duration('d', 0, 5, 1)),
      'x: d must be a duration of at least 1 ms, got 0',
    );
    assert.equal(
      thrown(() => check.duration('d', '3m', 0, 0, 120_000)),
      'x: d must be a duration from 0 to 120000 ms, got "3m"',
    );
    assert.equal(
      thrown(() => check.duration('d', '2 minutes' as never, 0)),
      "x: d must be a duration (ms, or a string such as '30s', '5m'), got \"2 minutes\"",
    );
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1])
      assert.throws(() => check.duration('d', bad, 0));
  });

  it('shows values safely: short, functions named, credentials masked', () => {
    assert.equal(showValue(Number.NaN), 'NaN');
    assert.equal(showValue(undefined), 'undefined');
    assert.equal(showValue(10n), '10n');
    assert.equal(
      showValue(() => 1),
      'a function',
    );
    assert.equal(showValue('redis://app:hunter2@cache:6379/1'), '"redis://app:***@cache:6379/1"');
    const config = { host: 'db', password: 'hunter2', connectionString: 'postgres://u:hunter2@db/x' };
    assert.ok(!showValue(config).includes('hunter2'), showValue(config));
    assert.equal(showValue({ warn: 'loud', log() {} }), '{"warn":"loud","log":"a function"}');
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    assert.equal(showValue(cycle), '[object Object]');
    assert.ok(showValue('x'.repeat(500)).length <= 80);
    assert.equal(showValue(new ShownAs('the same store')), 'the same store');
    const error = invalidOption('url', 'a URL', 'nope', 'redisStore', new Error('why'));
    assert.equal((error.cause as Error).message, 'why');
  });

  it('is the only place an E_INVALID_OPTION is made (library code under src/)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === 'test-support' ? [] : files(full);
        return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
      });
    const makers = files(SRC)
      .filter((file) => /LarderError\(\s*'E_INVALID_OPTION'/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file).split(path.sep).join('/'));
    assert.deepEqual(makers, ['core/invalid-option.ts']);
  });
});
