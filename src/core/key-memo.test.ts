import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyMemo } from './key-memo.js';

describe('KeyMemo', () => {
  it('keeps hot keys across generation turnovers and bounds its size', () => {
    const memo = new KeyMemo(2);
    memo.set('hot', 'p:1:hot');
    memo.set('a', 'p:1:a');
    memo.set('b', 'p:1:b'); // turnover: {hot, a} becomes the previous generation
    assert.equal(memo.get('hot'), 'p:1:hot', 'found in the previous generation and promoted');
    memo.set('c', 'p:1:c'); // turnover: {b, hot} becomes previous; 'a' is gone
    assert.equal(memo.get('a'), undefined);
    assert.equal(memo.get('hot'), 'p:1:hot');
  });
});
