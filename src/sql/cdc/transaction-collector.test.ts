import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransactionCollector } from './transaction-collector.js';

const begin = (commitAt: number) => ({ kind: 'begin', finalLsn: 0n, commitAt, xid: 1 }) as const;
const commit = (endLsn: bigint, commitAt = 0) =>
  ({ kind: 'commit', commitLsn: endLsn - 8n, endLsn, commitAt }) as const;
const relation = (oid: number, schema: string, table: string) =>
  ({ kind: 'relation', oid, schema, table }) as const;
const change = (oid: number) => ({ kind: 'change', oid }) as const;

describe('TransactionCollector', () => {
  it('collects the relations of each transaction and hands it over at Commit', () => {
    const collector = new TransactionCollector();
    assert.equal(collector.accept(begin(1000)), undefined);
    assert.equal(collector.inTransaction, true);
    collector.accept(relation(1, 'public', 'products'));
    collector.accept(change(1));
    collector.accept(change(1));
    collector.accept(relation(2, 'Sales', 'Orders'));
    collector.accept(change(2));
    const done = collector.accept(commit(500n, 999));
    assert.equal(collector.inTransaction, false);
    assert.ok(done !== undefined);
    assert.equal(done.endLsn, 500n);
    assert.equal(done.commitAt, 1000, 'the commit time comes from Begin');
    assert.deepEqual(
      [...done.relations],
      [
        [1, { schema: 'public', table: 'products' }],
        [2, { schema: 'Sales', table: 'Orders' }],
      ],
    );
  });

  it('remembers relations across transactions (sent once per session)', () => {
    const collector = new TransactionCollector();
    collector.accept(begin(1));
    collector.accept(relation(7, 'public', 't'));
    collector.accept(change(7));
    collector.accept(commit(10n));
    collector.accept(begin(2));
    collector.accept(change(7));
    assert.deepEqual(
      [...(collector.accept(commit(20n))?.relations ?? [])],
      [[7, { schema: 'public', table: 't' }]],
    );
  });

  it('TRUNCATE touches every listed relation', () => {
    const collector = new TransactionCollector();
    collector.accept(begin(1));
    collector.accept(relation(1, 'public', 'a'));
    collector.accept(relation(2, 'public', 'b'));
    collector.accept({ kind: 'truncate', oids: [1, 2] });
    assert.deepEqual([...(collector.accept(commit(10n))?.relations.keys() ?? [])], [1, 2]);
  });

  it('a relation never named stays in the transaction as unknown (the caller invalidates everything)', () => {
    const collector = new TransactionCollector();
    collector.accept(begin(1));
    collector.accept(change(99));
    assert.deepEqual([...(collector.accept(commit(10n))?.relations ?? [])], [[99, undefined]]);
  });

  it('an empty transaction still yields its end LSN, to be acknowledged', () => {
    const collector = new TransactionCollector();
    collector.accept(begin(1));
    const done = collector.accept(commit(42n));
    assert.equal(done?.endLsn, 42n);
    assert.equal(done?.relations.size, 0);
  });
});
