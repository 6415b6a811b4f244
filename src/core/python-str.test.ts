/**
 * Python's str() of JavaScript values. Expected strings are what CPython 3
 * prints for the value in the comment (`python3 -c 'print(str(x))'`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonStr } from './python-str.js';

describe('pythonStr', () => {
  it('maps the scalars as Python prints their counterparts', () => {
    assert.equal(pythonStr(null, 'v'), 'None');
    assert.equal(pythonStr(true, 'v'), 'True');
    assert.equal(pythonStr(false, 'v'), 'False');
    assert.equal(pythonStr('', 'v'), '');
    assert.equal(pythonStr('naïve 😀', 'v'), 'naïve 😀');
    assert.equal(pythonStr(12345678901234567890n, 'v'), '12345678901234567890');
    assert.equal(pythonStr(-3n, 'v'), '-3');
  });

  it('prints safe integers as Python ints', () => {
    assert.equal(pythonStr(0, 'v'), '0');
    assert.equal(pythonStr(-0, 'v'), '0');
    assert.equal(pythonStr(42, 'v'), '42');
    assert.equal(pythonStr(-42, 'v'), '-42');
    assert.equal(pythonStr(Number.MAX_SAFE_INTEGER, 'v'), '9007199254740991');
  });

  it('prints other numbers as Python floats (repr: shortest digits, exponent rules)', () => {
    const floats: ReadonlyArray<readonly [number, string]> = [
      [1.5, '1.5'], // 1.5
      [0.1, '0.1'], // 0.1
      [-2.25, '-2.25'], // -2.25
      [0.0001, '0.0001'], // 0.0001: fixed down to 1e-4
      [0.00012, '0.00012'], // 0.00012
      [1e-5, '1e-05'], // 1e-05: two-digit exponent
      [-1.25e-7, '-1.25e-07'], // -1.25e-07
      [2 ** 53, '9007199254740992.0'], // float(2**53): not a safe integer, below 1e16
      [1e16, '1e+16'], // 1e+16
      [1.5e16, '1.5e+16'], // 1.5e+16
      [123456789012345680000, '1.2345678901234568e+20'], // 1.2345678901234568e+20
      [1e100, '1e+100'], // 1e+100
      [5e-324, '5e-324'], // the smallest subnormal
      [1.7976931348623157e308, '1.7976931348623157e+308'], // sys.float_info.max
      [123.456, '123.456'], // 123.456
    ];
    for (const [value, python] of floats) assert.equal(pythonStr(value, 'v'), python, String(value));
  });
});
