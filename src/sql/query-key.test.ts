/** Query keys: everything that decides the answer is in the key, and nothing else. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyHead, keyOf, type QueryKeyParts, queryKey, typedParameter } from './query-key.js';

const base: QueryKeyParts = {
  identity: { systemId: '7000', database: 'shop' },
  session: '[["public"],"app",[]]',
  relations: ['public.products'],
  text: 'SELECT * FROM products WHERE id = $1',
  values: [1],
};

describe('queryKey', () => {
  it('is stable, short and free of the raw text', () => {
    const key = queryKey(base);
    assert.equal(key, queryKey({ ...base, values: [1] }));
    assert.match(key, /^sql:[A-Za-z0-9_-]{43}$/);
  });

  it('changes with every part: database, session, resolved relations, text, values', () => {
    const keys = new Set([
      queryKey(base),
      queryKey({ ...base, identity: { systemId: '7001', database: 'shop' } }),
      queryKey({ ...base, identity: { systemId: '7000', database: 'shop2' } }),
      queryKey({ ...base, session: '[["other"],"app",[]]' }),
      queryKey({ ...base, relations: ['other.products'] }),
      queryKey({ ...base, text: 'SELECT * FROM products WHERE id = $1 ' }),
      queryKey({ ...base, values: [2] }),
      queryKey({ ...base, values: undefined }),
    ]);
    assert.equal(keys.size, 8);
  });

  it('types each parameter: 1, "1", 1n, true and "true" are different keys', () => {
    const keys = new Set(
      [1, '1', 1n, true, 'true', null, [1], ['1'], { a: 1 }].map((v) => queryKey({ ...base, values: [v] })),
    );
    assert.equal(keys.size, 9);
    assert.equal(queryKey({ ...base, values: [null] }), queryKey({ ...base, values: [undefined] }));
  });

  it('keys a Date by what node-postgres sends, bytes by their content', () => {
    const at = new Date('2024-01-02T03:04:05.678Z');
    assert.equal(typedParameter(at)[0], 'date');
    assert.equal(
      queryKey({ ...base, values: [at] }),
      queryKey({ ...base, values: [new Date(at.getTime())] }),
    );
    assert.deepEqual(typedParameter(Buffer.from([1, 2])), ['bytes', 'AQI=']);
    assert.deepEqual(typedParameter(new Uint8Array([1, 2])), typedParameter(Buffer.from([1, 2])));
  });

  it('throws for a parameter node-postgres cannot serialize', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => queryKey({ ...base, values: [cycle] }));
  });

  it('hashes the statement once (keyHead) and each call’s parameters on top (keyOf)', () => {
    const head = keyHead(base);
    assert.equal(keyOf(head, base.values), queryKey(base));
    assert.notEqual(keyOf(head, [2]), keyOf(keyHead({ ...base, text: `${base.text} ` }), [2]));
  });

  it('keeps parameter boundaries: ["ab", "c"] and ["a", "bc"] are different keys', () => {
    const head = keyHead(base);
    const keys = new Set(
      [['ab', 'c'], ['a', 'bc'], ['abc'], ['a', 'b', 'c'], ['1', 2], [1, '2'], ['string1:x']].map((values) =>
        keyOf(head, values),
      ),
    );
    assert.equal(keys.size, 7);
  });
});
