/**
 * The catalog's lookups on a fake connection: facts are looked up once and
 * kept for the TTL, and callers that miss the same facts at once share one
 * query (a cold start of many requests on many connections).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryConfig, QueryResult } from 'pg';
import { SqlCatalog } from './catalog.js';
import type { RawQueryable } from './session-state.js';

/** Answers every catalog query after `delayMs`, as one relation per name asked; counts the queries. */
function fakeConnection(delayMs = 5) {
  const texts: string[] = [];
  const connection: RawQueryable = {
    async query(config: QueryConfig): Promise<QueryResult> {
      texts.push(config.text);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const values = (config.values ?? []) as unknown[][];
      let text = '[]';
      if (config.text.includes("'i', r.i")) {
        const names = values[1] as string[];
        text = JSON.stringify(
          names.map((name, i) => ({
            i: i + 1,
            schema: 'public',
            name,
            oid: String(100 + i),
            kind: 'r',
            temp: false,
            rowSecurity: false,
          })),
        );
      } else if (config.text.includes('provolatile')) {
        text = JSON.stringify((values[1] as string[]).map(() => true));
      } else {
        text = JSON.stringify(
          (values[0] as string[]).map((oid) => ({
            schema: 'public',
            name: `t${oid}`,
            oid,
            kind: 'r',
            temp: false,
            rowSecurity: false,
          })),
        );
      }
      return {
        rows: [{ text }],
        command: 'SELECT',
        rowCount: 1,
        oid: 0,
        fields: [],
      } as unknown as QueryResult;
    },
  };
  return { connection: async () => connection, texts };
}

const clock = { now: () => 1_000 };

describe('SqlCatalog', () => {
  it('runs one name lookup for concurrent callers missing the same names', async () => {
    const catalog = new SqlCatalog(60_000, clock);
    const { connection, texts } = fakeConnection();
    const refs = [
      { schema: undefined, name: 'products' },
      { schema: undefined, name: 'reviews' },
    ];
    const results = await Promise.all(
      Array.from({ length: 20 }, () => catalog.resolve(connection, ['public'], refs)),
    );
    assert.equal(texts.length, 1);
    for (const result of results)
      assert.deepEqual(
        result.map((r) => r?.name),
        ['products', 'reviews'],
      );
    // Later callers find the facts: no query at all.
    await catalog.resolve(connection, ['public'], refs);
    assert.equal(texts.length, 1);
  });

  it('looks up only the names nobody is looking up yet', async () => {
    const catalog = new SqlCatalog(60_000, clock);
    const { connection, texts } = fakeConnection();
    const first = catalog.resolve(connection, ['public'], [{ schema: undefined, name: 'a' }]);
    const second = catalog.resolve(
      connection,
      ['public'],
      [
        { schema: undefined, name: 'a' },
        { schema: undefined, name: 'b' },
      ],
    );
    const [a, ab] = await Promise.all([first, second]);
    assert.equal(texts.length, 2, 'one lookup for a, one for b alone');
    assert.deepEqual(
      a.map((r) => r?.name),
      ['a'],
    );
    assert.deepEqual(
      ab.map((r) => r?.name),
      ['a', 'b'],
    );
  });

  it('shares closure and function lookups the same way', async () => {
    const catalog = new SqlCatalog(60_000, clock);
    const { connection, texts } = fakeConnection();
    const relation = {
      schema: 'public',
      name: 'products',
      oid: '7',
      kind: 'r',
      temp: false,
      rowSecurity: false,
    };
    await Promise.all(Array.from({ length: 10 }, () => catalog.closure(connection, [relation], 'read')));
    await Promise.all(
      Array.from({ length: 10 }, () => catalog.immutable(connection, ['public'], ['lower', 'upper'])),
    );
    assert.equal(texts.length, 2);
    assert.equal(await catalog.immutable(connection, ['public'], ['lower']), true);
    assert.equal(texts.length, 2);
  });

  it('lets nobody join a lookup that began before forget(), and keeps none of its facts', async () => {
    const catalog = new SqlCatalog(60_000, clock);
    const { connection, texts } = fakeConnection(20);
    const refs = [{ schema: undefined, name: 'products' }];
    const before = catalog.resolve(connection, ['public'], refs);
    catalog.forget();
    const after = catalog.resolve(connection, ['public'], refs);
    await Promise.all([before, after]);
    assert.equal(texts.length, 2, 'the caller after forget() looked the name up again');
  });

  it('gives every waiting caller the lookup’s error, and the next caller tries again', async () => {
    const catalog = new SqlCatalog(60_000, clock);
    let calls = 0;
    const failing = async (): Promise<RawQueryable> => {
      calls++;
      throw new Error('connection refused');
    };
    const refs = [{ schema: undefined, name: 'products' }];
    const outcomes = await Promise.allSettled([
      catalog.resolve(failing, ['public'], refs),
      catalog.resolve(failing, ['public'], refs),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected'],
    );
    assert.equal(calls, 1);
    await assert.rejects(catalog.resolve(failing, ['public'], refs));
    assert.equal(calls, 2);
  });
});
