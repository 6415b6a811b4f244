/**
 * Stampedes across real processes on a real Redis: 4 child processes, 1,000
 * concurrent `getOrSet` callers each, one cold key, a 50 ms factory that counts
 * its calls in Redis. With the lease: exactly one call in total. Without it
 * (`lock: false`): single flight stops at the process boundary, at most 4.
 * And a lease holder that dies mid-factory is taken over after the lease TTL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { redisUrl, uniquePrefix } from './test-support/env.js';
import { type NodeChild, startChild } from './test-support/node-child.js';

const CHILD = new URL('./test-support/stampede-child.ts', import.meta.url);

describe('stampede across processes', () => {
  const client = createClient({ url: redisUrl() });
  const prefixes: string[] = [];
  before(() => client.connect());
  after(async () => {
    for (const prefix of prefixes) {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        if (keys.length > 0) await client.unlink(keys);
    }
    await client.close();
  });

  async function run(processes: number, env: Record<string, string>) {
    const prefix = uniquePrefix('stampede');
    prefixes.push(prefix);
    const countKey = `${prefix}count`;
    const children: NodeChild[] = [];
    for (let i = 0; i < processes; i++)
      children.push(
        startChild(CHILD, { REDIS_URL: redisUrl(), PREFIX: prefix, COUNT_KEY: countKey, ...env }),
      );
    await Promise.all(children.map((child) => child.next('ready')));
    for (const child of children) child.send({ type: 'go' });
    return { children, countKey, prefix };
  }

  it('4 processes x 1,000 callers on one cold key: exactly 1 factory call with the lease', async () => {
    const { children, countKey } = await run(4, { CALLERS: '1000', FACTORY_MS: '50' });
    const reports = await Promise.all(children.map((child) => child.next('done')));
    for (const report of reports) assert.equal(report.errorCount, 0, JSON.stringify(report.errors));
    assert.equal(Number(await client.get(countKey)), 1);
    const computedBy = new Set(reports.flatMap((report) => report.values as number[]));
    assert.equal(computedBy.size, 1, 'every caller in every process got the one computed value');
  });

  it('with lock: false single flight is per process: at most 4 calls', async () => {
    const { children, countKey } = await run(4, { CALLERS: '1000', FACTORY_MS: '50', LOCK: 'false' });
    const reports = await Promise.all(children.map((child) => child.next('done')));
    for (const report of reports) assert.equal(report.errorCount, 0, JSON.stringify(report.errors));
    const calls = Number(await client.get(countKey));
    assert.ok(calls >= 1 && calls <= 4, `${calls} factory calls`);
  });

  it('a lease holder killed mid-factory is taken over after the lease TTL; every waiter gets a value in bound', async () => {
    const prefix = uniquePrefix('stampede');
    prefixes.push(prefix);
    const countKey = `${prefix}count`;
    const common = { REDIS_URL: redisUrl(), PREFIX: prefix, COUNT_KEY: countKey, LEASE_TTL_MS: '1000' };
    // Everyone is up before the lease is taken, so the waiters meet it held.
    const holder = startChild(CHILD, { ...common, CALLERS: '1', HANG: 'true' });
    const waiters = [
      startChild(CHILD, { ...common, CALLERS: '500' }),
      startChild(CHILD, { ...common, CALLERS: '500' }),
    ];
    await Promise.all([holder, ...waiters].map((child) => child.next('ready')));
    holder.send({ type: 'go' });
    await holder.next('in-factory');
    for (const child of waiters) child.send({ type: 'go' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holder.kill(); // the process dies holding the lease
    const reports = await Promise.all(waiters.map((child) => child.next('done', 10_000)));
    for (const report of reports) {
      assert.equal(report.errorCount, 0, JSON.stringify(report.errors));
      // Lease TTL 1 s, polls of at most 200 ms, a 50 ms factory: well under 3 s.
      assert.ok((report.elapsedMs as number) < 3_000, `waited ${report.elapsedMs} ms`);
    }
    assert.equal(Number(await client.get(countKey)), 2, 'the dead holder and exactly one taker');
    const takeovers = reports.reduce(
      (n, report) => n + (report.stats as { leaseTakeovers: number }).leaseTakeovers,
      0,
    );
    assert.equal(takeovers, 1);
  });
});
