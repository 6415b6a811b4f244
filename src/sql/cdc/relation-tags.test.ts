import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseTag, tableTag } from '../table-tags.js';
import { relationTags } from './relation-tags.js';

const db = { systemId: '7', database: 'shop' };

describe('relationTags', () => {
  it('one table tag per changed relation, as Postgres names it', () => {
    const tags = relationTags(
      db,
      new Map([
        [1, { schema: 'public', table: 'products' }],
        [2, { schema: 'Sales', table: 'Orders' }],
      ]),
    );
    assert.deepEqual(tags, [tableTag(db, 'public', 'products'), tableTag(db, 'Sales', 'Orders')]);
  });

  it('a relation no Relation message named: the database tag alone', () => {
    const tags = relationTags(
      db,
      new Map([
        [1, { schema: 'public', table: 'products' }],
        [2, undefined],
      ]),
    );
    assert.deepEqual(tags, [databaseTag(db)]);
  });

  it('no relation, no tag', () => {
    assert.deepEqual(relationTags(db, new Map()), []);
  });
});
