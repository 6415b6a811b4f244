/**
 * Fragment keys against Django's own: golden vectors computed with Python's
 * hashlib by a copy of Django's `make_template_fragment_key` (django/core/cache/utils.py):
 *
 *   hasher = hashlib.md5()
 *   for arg in vary_on: hasher.update(str(arg).encode()); hasher.update(b":")
 *   return "template.cache.%s.%s" % (fragment_name, hasher.hexdigest())
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from './errors.js';
import { fragmentKey } from './fragment-key.js';
import type { FragmentVaryValue } from './python-str.js';

/** [name, the JavaScript values, the Python values they stand for, Django's key]. */
const GOLDEN: ReadonlyArray<readonly [string, readonly FragmentVaryValue[], string, string]> = [
  ['sidebar', [], '[] (and None)', 'template.cache.sidebar.d41d8cd98f00b204e9800998ecf8427e'],
  ['sidebar', ['ada'], "['ada']", 'template.cache.sidebar.7158bb7b44c13dd9c70c881b9720a741'],
  ['product_list', [7, 2], '[7, 2]', 'template.cache.product_list.52c02cde8210b46d7e2266c34db1c29d'],
  ['product_list', ['7', '2'], "['7', '2']", 'template.cache.product_list.52c02cde8210b46d7e2266c34db1c29d'],
  ['nav', [null], '[None]', 'template.cache.nav.6846ba559f7f55c20a67d890d03d20e0'],
  ['nav', [true, false], '[True, False]', 'template.cache.nav.8d21f0e16dc49aaf2caf42bf0ee44f34'],
  [
    'prices',
    [1.5, 0.1, -2.25],
    '[1.5, 0.1, -2.25]',
    'template.cache.prices.fb011a5ef919ddbb9b657311ad401f83',
  ],
  [
    'prices',
    [1e-5, 1e16, 1.5e16, 2 ** 53, 1e22, 123456789012345680000, 0.0001, 1e100],
    '[1e-05, 1e+16, 1.5e+16, 9007199254740992.0, 1e+22, 1.2345678901234568e+20, 0.0001, 1e+100]',
    'template.cache.prices.156689072314140e24f91a8c5180440b',
  ],
  [
    'greeting',
    ['héllo', '日本', '😀'],
    "['héllo', '日本', '😀']",
    'template.cache.greeting.ab02d324af288c63a2ad67437f2e6bb7',
  ],
  [
    'big',
    [12345678901234567890n],
    '[12345678901234567890]',
    'template.cache.big.911d8064add3b9c2cb1b7454ff8dac66',
  ],
  ['sep', ['a:b'], "['a:b']", 'template.cache.sep.d6e7a7288d38d4cf78b2f82cc7f50bba'],
  ['sep', ['a', 'b'], "['a', 'b']", 'template.cache.sep.d6e7a7288d38d4cf78b2f82cc7f50bba'],
  ['local-thing', ['x y'], "['x y']", 'template.cache.local-thing.326d0d61874069fe93bba5e3f13ec8d9'],
  ['empty', [''], "['']", 'template.cache.empty.853ae90f0351324bd73ea615e6487517'],
  ['neg', [-7, 0], '[-7, 0]', 'template.cache.neg.264f01c8f6777abbb8f98c04822031d0'],
];

describe('fragmentKey (Django make_template_fragment_key)', () => {
  for (const [name, varyOn, python, expected] of GOLDEN) {
    it(`${name} varied on ${python} gives Django's key`, () => {
      assert.equal(fragmentKey(name, varyOn), expected);
    });
  }

  it('keeps Django collisions: the values are joined unescaped, and 7 is "7"', () => {
    // Documented in docs/fragments.md: the price of sharing keys with Django.
    assert.equal(fragmentKey('sep', ['a:b']), fragmentKey('sep', ['a', 'b']));
    assert.equal(fragmentKey('p', [7]), fragmentKey('p', ['7']));
    assert.notEqual(fragmentKey('p', [null]), fragmentKey('p', ['']));
  });

  it('refuses an empty or non-string name, and a varyOn that is not an array', () => {
    for (const name of ['', 42, undefined, null]) {
      assert.throws(
        () => fragmentKey(name as string, []),
        (error) =>
          isLarderError(error, 'E_INVALID_ARGUMENT') &&
          /fragment: name must be a non-empty string/.test(error.message),
      );
    }
    assert.throws(
      () => fragmentKey('x', 'ada' as unknown as FragmentVaryValue[]),
      (error) => isLarderError(error, 'E_INVALID_ARGUMENT') && /varyOn must be an array/.test(error.message),
    );
  });

  it('names the vary value it cannot turn into a Python str()', () => {
    const cases: ReadonlyArray<readonly [unknown[], RegExp]> = [
      [['ok', undefined], /varyOn\[1\] .*got undefined: undefined \(a missing value\?\)/],
      [[{ id: 1 }], /varyOn\[0\] .*got \{"id":1\}: an object/],
      [[[1, 2]], /varyOn\[0\] .*an array/],
      [[new Date(0)], /varyOn\[0\] .*a Date \(pass date\.toISOString\(\)/],
      [[Number.NaN], /varyOn\[0\] .*got NaN: not a finite number/],
      [[Number.POSITIVE_INFINITY], /not a finite number/],
      [[Symbol('s')], /varyOn\[0\] must be a string/],
      [['\ud800'], /a lone UTF-16 surrogate/],
      // A hole is refused as undefined, never skipped (skipping would change the key silently).
      [new Array(1), /varyOn\[0\] .*undefined/],
    ];
    for (const [varyOn, message] of cases) {
      assert.throws(
        () => fragmentKey('x', varyOn as FragmentVaryValue[]),
        (error) => isLarderError(error, 'E_INVALID_ARGUMENT') && message.test(error.message),
        String(message),
      );
    }
  });
});
