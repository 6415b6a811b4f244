/**
 * The session-store compliance suite (`larder/testing`) side by side on
 * connect-redis 9, express-session's MemoryStore and Larder's store (Redis,
 * and cached_db on Postgres): which contract cases each store passes. Not a
 * speed figure; the method line says what ran.
 *
 *   node --import tsx bench/session-compliance.ts [--pairs 200]
 */
import { execFileSync } from 'node:child_process';
import { LarderSessionStore } from '../src/adapters/express-session/index.js';
import { larderSessionHarness } from '../src/test-support/larder-session-harnesses.js';
import { connectRedisHarness, memoryStoreHarness } from '../src/test-support/naive-session-harnesses.js';
import {
  runSessionStoreSuite,
  type SessionCaseResult,
  type SessionStoreHarness,
} from '../src/testing/index.js';
import { packageVersion } from './lib/describe-environment.js';
import { formatTable } from './lib/format-table.js';
import { numericArgs } from './lib/parse-args.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({ pairs: 200 });
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
console.log(
  `method: runSessionStoreSuite (larder/testing, from src/ at ${commit}) against each store in turn, ` +
    `${args.pairs} concurrent pairs per race case, a real Express 5 + express-session ${packageVersion('express-session')} app on a real port; ` +
    `Redis ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}, Postgres ${process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'}; ` +
    `connect-redis ${packageVersion('connect-redis')}`,
);

const harnesses: SessionStoreHarness[] = [
  connectRedisHarness(),
  memoryStoreHarness(),
  larderSessionHarness('redis', LarderSessionStore),
  larderSessionHarness('cached_db', LarderSessionStore),
];
const results = new Map<string, SessionCaseResult[]>();
for (const harness of harnesses) {
  results.set(
    harness.name,
    await runSessionStoreSuite(harness, { pairs: args.pairs, oversizedBytes: 300_000 }),
  );
}
const names = [...results.values()][0]?.map((result) => result.name) ?? [];
const cell = (result: SessionCaseResult | undefined): string =>
  result === undefined
    ? ''
    : result.outcome === 'pass'
      ? 'pass'
      : `**${result.outcome}**: ${result.detail.slice(0, 70)}`;
console.log(
  formatTable(
    ['case', ...results.keys()],
    names.map((name) => [
      name,
      ...[...results.values()].map((list) => cell(list.find((r) => r.name === name))),
    ]),
  ),
);
console.log(`raw results: ${writeResults('session-compliance', Object.fromEntries(results))}`);
