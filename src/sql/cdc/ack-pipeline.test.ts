import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { AckPipeline, type Batch } from './ack-pipeline.js';
import type { CommittedTransaction } from './transaction-collector.js';

const oids = new Map<string, number>();
function oidOf(table: string): number {
  if (!oids.has(table)) oids.set(table, oids.size + 1);
  return oids.get(table) ?? 0;
}

function tx(endLsn: bigint, tables: string[], commitAt = Number(endLsn)): CommittedTransaction {
  return {
    endLsn,
    commitAt,
    relations: new Map(tables.map((table) => [oidOf(table), { schema: 'public', table }])),
  };
}

/** Let the pipeline run until `condition` holds (a few turns of the event loop, no timers). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i++) await turn();
}

const tablesOf = (batch: Batch) => [...batch.relations.values()].map((name) => name?.table ?? '?').sort();

/** A pipeline whose bumps wait for the test to settle them, and whose sleeps end at once. */
function harness() {
  const bumps: Array<{ batch: Batch; tables: string[]; settle: (error?: Error) => void }> = [];
  const acks: Array<{ lsn: bigint; transactions: number }> = [];
  const retries: number[] = [];
  const pipeline = new AckPipeline({
    bump: (batch) =>
      new Promise<void>((resolve, reject) => {
        bumps.push({
          batch,
          tables: tablesOf(batch),
          settle: (error) => (error ? reject(error) : resolve()),
        });
      }),
    acknowledge: (batch) => acks.push({ lsn: batch.endLsn, transactions: batch.transactions }),
    onRetry: (_error, delayMs) => retries.push(delayMs),
    retry: { initialDelayMs: 50, maxDelayMs: 200 },
    sleep: () => turn(),
  });
  return { pipeline, bumps, acks, retries };
}

describe('AckPipeline', () => {
  it('acknowledges only after the bump is stored', async () => {
    const { pipeline, bumps, acks } = harness();
    pipeline.push(tx(10n, ['products']));
    await turn();
    assert.equal(bumps.length, 1);
    assert.deepEqual(bumps[0]?.tables, ['products']);
    assert.deepEqual(acks, [], 'nothing acknowledged while the bump is in flight');
    assert.equal(pipeline.idle, false);
    bumps[0]?.settle();
    await until(() => acks.length > 0);
    assert.deepEqual(acks, [{ lsn: 10n, transactions: 1 }]);
    assert.equal(pipeline.idle, true);
  });

  it('transactions arriving during a bump go out together in the next one (group commit)', async () => {
    const { pipeline, bumps, acks } = harness();
    pipeline.push(tx(10n, ['a']));
    await turn();
    pipeline.push(tx(20n, ['b']));
    pipeline.push(tx(30n, ['c', 'b']));
    pipeline.push(tx(40n, ['a']));
    bumps[0]?.settle();
    await until(() => bumps.length === 2);
    assert.equal(bumps.length, 2, 'one bump for the three waiting transactions');
    assert.deepEqual(bumps[1]?.tables, ['a', 'b', 'c']);
    bumps[1]?.settle();
    await until(() => acks.length === 2);
    assert.deepEqual(acks, [
      { lsn: 10n, transactions: 1 },
      { lsn: 40n, transactions: 3 },
    ]);
  });

  it('a failed bump is retried with backoff, never acknowledged, and absorbs what arrives meanwhile', async () => {
    const { pipeline, bumps, acks, retries } = harness();
    pipeline.push(tx(10n, ['a'], 1_000));
    await turn();
    for (let attempt = 0; attempt < 4; attempt++) {
      pipeline.push(tx(BigInt(20 + attempt), [`t${attempt}`], 2_000 + attempt));
      bumps.at(-1)?.settle(new Error('store down'));
      await until(() => bumps.length === attempt + 2);
      assert.deepEqual(acks, [], `attempt ${attempt}: nothing acknowledged`);
    }
    assert.deepEqual(retries, [50, 100, 200, 200], 'doubling, capped');
    assert.equal(pipeline.oldestWaitingCommitAt, 1_000, 'the lag counts from the oldest waiting commit');
    const last = bumps.at(-1);
    assert.deepEqual(last?.tables, ['a', 't0', 't1', 't2', 't3'], 'the retry covers the whole backlog');
    last?.settle();
    await until(() => acks.length > 0);
    assert.deepEqual(acks, [{ lsn: 23n, transactions: 5 }]);
    assert.equal(pipeline.oldestWaitingCommitAt, undefined);
  });

  it('close stops the retries without acknowledging, and later pushes are ignored', async () => {
    const { pipeline, bumps, acks } = harness();
    pipeline.push(tx(10n, ['a']));
    await turn();
    bumps[0]?.settle(new Error('down'));
    await pipeline.close();
    pipeline.push(tx(20n, ['b']));
    await turn();
    assert.deepEqual(acks, []);
    assert.ok(bumps.length <= 2);
  });

  it('a bump in flight at close still acknowledges when it lands (it was stored)', async () => {
    const { pipeline, bumps, acks } = harness();
    pipeline.push(tx(10n, ['a']));
    await turn();
    pipeline.push(tx(20n, ['b']));
    const closed = pipeline.close();
    bumps[0]?.settle();
    await closed;
    assert.deepEqual(
      acks,
      [{ lsn: 10n, transactions: 1 }],
      'the waiting one is dropped (the slot re-sends it)',
    );
  });
});
