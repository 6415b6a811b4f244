import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeGlob } from './escape-glob.js';

describe('escapeGlob', () => {
  it('escapes every Redis glob metacharacter', () => {
    assert.equal(escapeGlob('a*b[c]d?e\\f'), 'a\\*b\\[c\\]d\\?e\\\\f');
  });

  it('leaves everything else alone', () => {
    assert.equal(escapeGlob('larder:1:user-42:^$.+(){}|'), 'larder:1:user-42:^$.+(){}|');
    assert.equal(escapeGlob(''), '');
  });
});
