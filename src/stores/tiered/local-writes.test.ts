import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalWrites } from './local-writes.js';

describe('LocalWrites', () => {
  it('counts writes of a key until each one ends', () => {
    const writes = new LocalWrites();
    writes.begin(['a', 'b']);
    writes.begin(['a']);
    assert.equal(writes.of('a'), 2);
    assert.equal(writes.of('b'), 1);
    writes.end(['a', 'b']);
    assert.equal(writes.of('a'), 1);
    assert.equal(writes.of('b'), 0);
    writes.end(['a']);
    assert.equal(writes.of('a'), 0);
  });

  it('a clear in flight counts for every key under its prefix, once per call', () => {
    const writes = new LocalWrites();
    writes.beginClear('p:');
    writes.beginClear('p:');
    writes.begin(['p:x']);
    assert.equal(writes.of('p:x'), 3);
    assert.equal(writes.of('q:x'), 0);
    writes.endClear('p:');
    assert.equal(writes.of('p:y'), 1);
    writes.endClear('p:');
    assert.equal(writes.of('p:y'), 0);
    assert.equal(writes.of('p:x'), 1);
  });
});
