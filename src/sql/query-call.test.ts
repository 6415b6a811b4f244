/** `query()`'s arguments, normalized the way node-postgres reads them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { parseQueryArgs, type QueryCall } from './query-call.js';

const call = (...args: unknown[]): QueryCall => {
  const input = parseQueryArgs(args[0], args[1], args[2]);
  assert.equal(input.kind, 'query');
  return (input as { call: QueryCall }).call;
};
const noop = () => undefined;

describe('parseQueryArgs', () => {
  it('reads text, values and a callback in any of their positions', () => {
    assert.deepEqual(call('SELECT 1').config, { text: 'SELECT 1' });
    assert.deepEqual(call('SELECT $1', [1]).values, [1]);
    assert.equal(call('SELECT 1', noop).callback, noop);
    assert.equal(call('SELECT $1', [1], noop).callback, noop);
    assert.equal(call({ text: 'SELECT 1', callback: noop }).callback, noop);
  });

  it('lets values given apart replace the config’s, and leaves the caller’s config untouched', () => {
    const config = {
      text: 'SELECT $1',
      values: [1],
      rowMode: 'array' as const,
      larder: { skip: true },
      callback: noop,
    };
    const parsed = call(config, [2]);
    assert.deepEqual(parsed.values, [2]);
    assert.equal(parsed.rowMode, 'array');
    assert.deepEqual(parsed.larder, { skip: true });
    assert.equal('larder' in parsed.config || 'callback' in parsed.config, false);
    assert.deepEqual(config.values, [1]);
  });

  it('flags binary results and portal fetch sizes, which are never cached', () => {
    assert.equal(call({ text: 'SELECT 1', binary: true }).unusual, 'binary');
    assert.equal(call({ text: 'SELECT 1', rows: 10 }).unusual, 'streaming');
    assert.equal(call({ text: 'SELECT 1' }).unusual, undefined);
  });

  it('passes Submittables through and rejects what pg rejects', () => {
    const query = new pg.Query('SELECT 1');
    assert.deepEqual(parseQueryArgs(query), { kind: 'submittable', submittable: query });
    assert.throws(() => parseQueryArgs(null), TypeError);
    assert.throws(() => parseQueryArgs('SELECT 1', [], 'nope'), TypeError);
  });
});
