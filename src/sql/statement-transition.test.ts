/**
 * The rules of "invalidate after COMMIT", statement by statement, on the
 * analyzer's real output: what is invalidated now, what waits for COMMIT, what
 * a rollback (whole, to a savepoint, or a failed COMMIT) drops, what makes a
 * transaction's reads bypass the cache, and how the status Postgres reports
 * corrects the bookkeeping.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { analyzeSql } from './analyzer/analyze-sql.js';
import { loadSqlParser } from './analyzer/load-sql-parser.js';
import {
  type Settlement,
  type StatementOutcome,
  type StatementStep,
  settle,
  type TransactionStatus,
} from './statement-transition.js';
import type { TableName } from './table-name.js';
import { TransactionState } from './transaction-state.js';

const T = (name: string): TableName => ({ schema: 'public', name });
const names = (settlement: Settlement) => settlement.invalidate.map((table) => table.name).sort();

/** One statement as the wrapper would settle it: `writes` are the resolved tables. */
function step(
  state: TransactionState,
  text: string,
  options: {
    writes?: readonly string[];
    outcome?: StatementOutcome;
    command?: string;
    status?: TransactionStatus;
    snapshotBegin?: boolean;
  } = {},
): Settlement {
  const analysis = analyzeSql(text);
  const statements = analysis.statements;
  const full: StatementStep = {
    statements,
    writes: (options.writes ?? analysis.writes.map((ref) => ref.name)).map(T),
    outcome: options.outcome ?? 'ok',
    command: options.command ?? statements.at(-1)?.kind.toUpperCase(),
    status: options.status,
    snapshotBegin: options.snapshotBegin ?? false,
    setsSnapshot: /repeatable/i.test(text) && statements.some((s) => s.kind === 'set'),
    opaque: statements.some((s) => s.unknownWrites || s.unknownFunctions.length > 0),
  };
  return settle(state, full);
}

describe('settle: invalidate after COMMIT', () => {
  before(() => loadSqlParser());

  it('outside a transaction: a write is invalidated when it returns; a failed one is not; an unknown one is', () => {
    const state = new TransactionState();
    assert.deepEqual(names(step(state, 'UPDATE a SET x = 1')), ['a']);
    assert.equal(step(state, 'UPDATE a SET x = 1').source, 'statement');
    assert.deepEqual(names(step(state, 'UPDATE a SET x = 1', { outcome: 'server-error' })), []);
    assert.deepEqual(names(step(state, 'UPDATE a SET x = 1', { outcome: 'unknown' })), ['a']);
  });

  it('inside one: writes wait for COMMIT, which invalidates them all', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    assert.deepEqual(names(step(state, 'UPDATE a SET x = 1')), []);
    assert.deepEqual(names(step(state, 'INSERT INTO b VALUES (1)')), []);
    assert.ok(state.hasWritten(T('a')) && !state.hasWritten(T('c')));
    const commit = step(state, 'COMMIT', { command: 'COMMIT' });
    assert.deepEqual(names(commit), ['a', 'b']);
    assert.equal(commit.source, 'commit');
    assert.equal(state.active, false);
  });

  it('ROLLBACK, a COMMIT answered with ROLLBACK and a COMMIT that fails all drop the writes', () => {
    const state = new TransactionState();
    for (const [text, outcome, command] of [
      ['ROLLBACK', 'ok', 'ROLLBACK'],
      ['COMMIT', 'ok', 'ROLLBACK'],
      ['COMMIT', 'server-error', undefined],
      ['ABORT', 'ok', 'ROLLBACK'],
    ] as const) {
      step(state, 'START TRANSACTION');
      step(state, 'DELETE FROM a');
      const options = command === undefined ? { outcome } : { outcome, command };
      assert.deepEqual(names(step(state, text, options)), [], `${text} → ${command ?? outcome}`);
      assert.equal(state.active, false);
    }
  });

  it('a COMMIT whose outcome is unknown invalidates (it may have committed)', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    step(state, 'UPDATE a SET x = 1');
    assert.deepEqual(names(step(state, 'COMMIT', { outcome: 'unknown' })), ['a']);
  });

  it('ROLLBACK TO drops the writes since the savepoint; RELEASE folds them into the level below', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    step(state, 'UPDATE a SET x = 1');
    step(state, 'SAVEPOINT s1');
    step(state, 'UPDATE b SET x = 1');
    step(state, 'SAVEPOINT s2');
    step(state, 'UPDATE c SET x = 1');
    step(state, 'RELEASE SAVEPOINT s2');
    assert.ok(state.hasWritten(T('c')));
    step(state, 'ROLLBACK TO SAVEPOINT s1');
    assert.ok(!state.hasWritten(T('b')) && !state.hasWritten(T('c')) && state.hasWritten(T('a')));
    step(state, 'UPDATE d SET x = 1');
    step(state, 'ROLLBACK TO s1');
    assert.deepEqual(names(step(state, 'COMMIT', { command: 'COMMIT' })), ['a']);
  });

  it('a savepoint name used twice: ROLLBACK TO picks the newest', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    step(state, 'SAVEPOINT s');
    step(state, 'UPDATE a SET x = 1');
    step(state, 'SAVEPOINT s');
    step(state, 'UPDATE b SET x = 1');
    step(state, 'ROLLBACK TO SAVEPOINT s');
    assert.deepEqual(names(step(state, 'COMMIT', { command: 'COMMIT' })), ['a']);
  });

  it('an error aborts the transaction (reads blocked) until ROLLBACK TO', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    step(state, 'SAVEPOINT s');
    step(state, 'UPDATE a SET x = 1', { outcome: 'server-error', status: 'E' });
    assert.equal(state.block(), 'aborted-transaction');
    assert.ok(!state.hasWritten(T('a')), 'the failed statement wrote nothing');
    step(state, 'ROLLBACK TO SAVEPOINT s', { status: 'T' });
    assert.equal(state.block(), undefined);
  });

  it('snapshot isolation, and statements with unknown writes, block the transaction’s reads', () => {
    const state = new TransactionState();
    step(state, 'BEGIN ISOLATION LEVEL REPEATABLE READ', { snapshotBegin: true });
    assert.equal(state.block(), 'snapshot-isolation');
    step(state, 'COMMIT', { command: 'COMMIT' });
    step(state, 'BEGIN');
    step(state, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    assert.equal(state.block(), 'snapshot-isolation');
    step(state, 'ROLLBACK', { command: 'ROLLBACK' });
    step(state, 'BEGIN');
    step(state, 'CALL refresh_everything()', { writes: [] });
    assert.equal(state.block(), 'opaque-transaction');
    step(state, 'ROLLBACK', { command: 'ROLLBACK' });
    assert.equal(state.block(), undefined);
  });

  it('SET inside a transaction changes the session when it ends (SET LOCAL reverts)', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    assert.equal(step(state, 'SET LOCAL search_path TO other').sessionChanged, true);
    assert.equal(step(state, 'COMMIT', { command: 'COMMIT' }).sessionChanged, true);
    step(state, 'BEGIN');
    assert.equal(step(state, 'COMMIT', { command: 'COMMIT' }).sessionChanged, false);
  });

  it('the reported status corrects drift: a transaction that ended or began unseen', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    step(state, 'UPDATE a SET x = 1');
    // Something ended the transaction without a COMMIT the wrapper saw: it may have committed.
    assert.deepEqual(names(step(state, 'SELECT 1', { writes: [], status: 'I' })), ['a']);
    assert.equal(state.active, false);
    step(state, 'SELECT 1', { writes: [], status: 'T' });
    assert.equal(state.active, true);
    assert.equal(
      state.block(),
      'snapshot-isolation',
      'a transaction of unknown isolation is treated as a snapshot',
    );
  });

  it('a script with transaction control: its writes are invalidated when it returns, and again at COMMIT if left open', () => {
    const state = new TransactionState();
    assert.deepEqual(names(step(state, 'BEGIN; UPDATE a SET x = 1; COMMIT', { status: 'I' })), ['a']);
    assert.equal(state.active, false);
    assert.deepEqual(names(step(state, 'BEGIN; UPDATE b SET x = 1', { status: 'T' })), ['b']);
    assert.equal(state.active, true);
    assert.deepEqual(names(step(state, 'COMMIT', { command: 'COMMIT', status: 'I' })), ['b']);
    // Several statements without control run in one implicit transaction: invalidated once it returns.
    assert.deepEqual(names(step(state, 'UPDATE a SET x = 1; UPDATE c SET x = 1')), ['a', 'c']);
  });

  it('PREPARE TRANSACTION hands the queued tables back, to invalidate at COMMIT PREPARED', () => {
    const state = new TransactionState();
    step(state, 'BEGIN');
    step(state, 'UPDATE a SET x = 1');
    const prepared = step(state, "PREPARE TRANSACTION 'tx1'", { status: 'I' });
    assert.deepEqual(names(prepared), []);
    assert.deepEqual(
      prepared.prepared?.map((table) => table.name),
      ['a'],
    );
    assert.equal(state.active, false);
  });
});
