/** The cached form of a result is the text Postgres sent; a hit parses it the way the caller's query would. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { jsonSerializer } from '../core/json-serializer.js';
import { type CachedResult, decodeResult, encodeResult } from './result-codec.js';

const field = (name: string, dataTypeID: number) => ({
  name,
  tableID: 0,
  columnID: 0,
  dataTypeID,
  dataTypeSize: -1,
  dataTypeModifier: -1,
  format: 'text',
});

const raw = {
  command: 'SELECT',
  rowCount: 2,
  oid: null as unknown as number,
  fields: [field('id', 23), field('at', 1184), field('pic', 17), field('id', 20)],
  rows: [
    ['1', '2024-01-02 03:04:05+00', '\\x0102', '9007199254740993'],
    ['2', null, null, null],
  ],
};

function deepFrozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFrozen(inner);
    Object.freeze(value);
  }
  return value;
}

describe('result codec', () => {
  it('keeps the text and the column descriptions, nothing parsed', () => {
    const cached = encodeResult(raw as never);
    assert.deepEqual(cached.rows, raw.rows);
    assert.deepEqual(
      cached.fields.map((f) => f.name),
      ['id', 'at', 'pic', 'id'],
    );
    assert.equal(cached.oid, null);
  });

  it('decodes with the given parsers, into objects built as pg builds them (a repeated name: the later column wins)', () => {
    const cached = encodeResult(raw as never);
    const result = decodeResult(cached, undefined, pg.types);
    const [first, second] = result.rows;
    assert.deepEqual(Object.keys(first), ['id', 'at', 'pic']);
    assert.equal(first.id, '9007199254740993');
    assert.ok(first.at instanceof Date && Buffer.isBuffer(first.pic));
    assert.deepEqual(second, { id: null, at: null, pic: null });
    assert.equal(result.command, 'SELECT');
    assert.equal(result.rowCount, 2);
    assert.equal(result.fields[1]?.format, 'text');
  });

  it('decodes rows as arrays for rowMode "array", with custom parsers', () => {
    const cached = encodeResult(raw as never);
    const types = { getTypeParser: (() => (text: string) => `<${text}>`) as never };
    const result = decodeResult(cached, 'array', types);
    assert.deepEqual(result.rows[0], ['<1>', '<2024-01-02 03:04:05+00>', '<\\x0102>', '<9007199254740993>']);
    assert.equal(result.rowAsArray, true);
  });

  it("decodes one cached result under each caller's parsers, into rows and field arrays of its own", () => {
    // Frozen, as core shares a decoded entry between hits.
    const cached = deepFrozen(encodeResult(raw as never));
    const tagged = (tag: string) => ({ getTypeParser: (() => (text: string) => `${tag}${text}`) as never });
    const first = decodeResult(cached, 'array', tagged('a:'));
    const again = decodeResult(cached, 'array', tagged('b:'));
    assert.equal(first.rows[0]?.[0], 'a:1');
    assert.equal(again.rows[0]?.[0], 'b:1', 'another types object: its own parsers, not the remembered ones');
    assert.equal(decodeResult(cached, 'array', tagged('a:')).rows[0]?.[0], 'a:1');
    assert.notEqual(first.rows, again.rows);
    assert.notEqual(first.fields, again.fields, 'each result has its own fields array');
    assert.deepEqual(first.fields, again.fields);
    assert.ok(Object.isFrozen(first.fields[0]), 'the shared field descriptions cannot be changed');
    const unshared = decodeResult(encodeResult(raw as never), 'array', tagged('a:'));
    assert.ok(
      !Object.isFrozen(unshared.fields[0]),
      'a result decoded for one caller is left as pg leaves it',
    );
  });

  it('survives any serializer: the cached form is plain strings', () => {
    const cached = encodeResult(raw as never);
    const json = jsonSerializer();
    const back = json.deserialize(json.serialize(cached)) as CachedResult;
    assert.deepEqual(
      decodeResult(back, undefined, pg.types).rows,
      decodeResult(cached, undefined, pg.types).rows,
    );
  });
});

describe('result codec: timestamptz', () => {
  const builtin = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;
  const cached = encodeResult({
    command: 'SELECT',
    rowCount: 4,
    oid: null as unknown as number,
    fields: [field('at', 1184)],
    rows: [['2024-01-02 03:04:05.678+00'], ['2024-01-02 08:34:05.678+05:30'], ['infinity'], [null]],
  } as never);

  it('decodes each text as pg’s own parser does, into a new Date every time', () => {
    const first = decodeResult(cached, 'array', pg.types).rows;
    const again = decodeResult(cached, 'array', pg.types).rows;
    assert.deepEqual(
      first,
      cached.rows.map((row) => row.map((text) => (text === null ? null : builtin(text)))),
    );
    assert.deepEqual(again, first);
    const [a, b] = [first[0]?.[0], again[0]?.[0]] as Date[];
    assert.ok(a instanceof Date && b instanceof Date && a !== b, 'callers never share a Date');
    assert.equal(Object.getPrototypeOf(b), Date.prototype);
    assert.equal(first[2]?.[0], Number.POSITIVE_INFINITY);
  });

  it('leaves a custom timestamptz parser alone', () => {
    const types = {
      getTypeParser: ((oid: number) => (oid === 1184 ? (text: string) => `at ${text}` : String)) as never,
    };
    assert.equal(decodeResult(cached, 'array', types).rows[0]?.[0], 'at 2024-01-02 03:04:05.678+00');
  });
});
