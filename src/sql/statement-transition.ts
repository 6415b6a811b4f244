/**
 * What one SQL text did to its connection's transaction, and which tables to
 * invalidate now: the rules of "invalidate after COMMIT".
 *
 * - Outside a transaction, a write is invalidated after it returns.
 * - Inside one, writes are queued per savepoint level; COMMIT invalidates them,
 *   ROLLBACK drops them, ROLLBACK TO drops the ones made since the savepoint.
 *   A COMMIT that Postgres answers with `ROLLBACK` (the transaction had failed),
 *   or that fails with a server error, committed nothing.
 * - When the outcome is unknown (the connection broke, a client-side timeout),
 *   a write may have landed: invalidate (or keep it queued) — the safe side.
 * - The transaction status Postgres reports after each statement (`I`/`T`/`E`)
 *   corrects the bookkeeping when a text did something the wrapper did not follow.
 */
import type { StatementAnalysis, TransactionControl } from './analyzer/sql-analysis.js';
import type { TableName } from './table-name.js';
import type { TransactionState } from './transaction-state.js';

/** How a statement ended: success, an error from the server (the statement had no effect), or unknown. */
export type StatementOutcome = 'ok' | 'server-error' | 'unknown';

/** node-postgres's `getTransactionStatus()` after the statement: idle, in a transaction, in a failed one. */
export type TransactionStatus = 'I' | 'T' | 'E' | null | undefined;

/** One SQL text as it completed. */
export interface StatementStep {
  readonly statements: readonly StatementAnalysis[];
  /** The tables the text writes, resolved and expanded (views to base tables, FK cascades). */
  readonly writes: readonly TableName[];
  readonly outcome: StatementOutcome;
  /** The command tag of a single statement's result (`COMMIT`, `ROLLBACK`, `UPDATE`...). */
  readonly command: string | undefined;
  readonly status: TransactionStatus;
  /** A BEGIN here opens a REPEATABLE READ / SERIALIZABLE transaction (as written, or by the session default). */
  readonly snapshotBegin: boolean;
  /** A `SET TRANSACTION ... REPEATABLE READ | SERIALIZABLE` (or `SET SESSION CHARACTERISTICS`). */
  readonly setsSnapshot: boolean;
  /** The text may write tables the wrapper cannot name (CALL, DO, EXECUTE, a user function). */
  readonly opaque: boolean;
}

/** What to do after a step. */
export interface Settlement {
  /** Tables to invalidate now. */
  readonly invalidate: readonly TableName[];
  readonly source: 'commit' | 'statement';
  /** Session settings may have changed (SET, a transaction that ran SET LOCAL ended): read them again. */
  readonly sessionChanged: boolean;
  /** PREPARE TRANSACTION: the queued tables, to invalidate at COMMIT PREPARED. */
  readonly prepared?: readonly TableName[];
}

const NOTHING: readonly TableName[] = [];

function changesSession(statements: readonly StatementAnalysis[]): boolean {
  return statements.some(
    (statement) =>
      statement.kind === 'set' ||
      statement.kind === 'other' ||
      statement.changesSearchPath ||
      statement.createsTemp,
  );
}

/** Apply one completed SQL text to `state`; returns the tables to invalidate now. */
export function settle(state: TransactionState, step: StatementStep): Settlement {
  const controls = step.statements.filter((statement) => statement.transaction !== undefined);
  let settlement: Settlement;
  if (controls.length > 0 && step.statements.length > 1) settlement = settleScript(state, step, controls);
  else if (controls.length === 1) settlement = settleControl(state, step, controls[0]?.transaction);
  else settlement = settlePlain(state, step);
  if (step.outcome === 'unknown') return settlement;
  const drift = reconcile(state, step.status);
  if (drift.length === 0) return settlement;
  return { ...settlement, invalidate: [...settlement.invalidate, ...drift] };
}

/** A statement that is not transaction control (or several, none of them control). */
function settlePlain(state: TransactionState, step: StatementStep): Settlement {
  const sessionChanged = changesSession(step.statements);
  if (!state.active) {
    const invalidate = step.outcome === 'server-error' ? NOTHING : step.writes;
    return { invalidate, source: 'statement', sessionChanged: sessionChanged || step.outcome === 'unknown' };
  }
  if (step.outcome === 'server-error') {
    state.markFailed();
    return { invalidate: NOTHING, source: 'statement', sessionChanged: false };
  }
  // Unknown outcome in a transaction: the write may still land in it, so keep it queued.
  state.queue(step.writes);
  if (step.opaque) state.markOpaque();
  if (step.setsSnapshot) state.markSnapshot();
  if (sessionChanged) state.markSet();
  return { invalidate: NOTHING, source: 'statement', sessionChanged };
}

function settleControl(
  state: TransactionState,
  step: StatementStep,
  control: TransactionControl | undefined,
): Settlement {
  const quiet: Settlement = { invalidate: NOTHING, source: 'statement', sessionChanged: false };
  if (control === undefined) return quiet;
  switch (control.kind) {
    case 'begin':
      if (step.outcome !== 'server-error') state.begin(step.snapshotBegin || step.outcome === 'unknown');
      return quiet;
    case 'commit': {
      const { tables, sawSet } = state.end();
      // Postgres answers COMMIT of a failed transaction with ROLLBACK; a server error at COMMIT
      // (a deferred constraint, a serialization failure) rolls back too. Unknown: it may have committed.
      const committed = step.outcome === 'unknown' || (step.outcome === 'ok' && step.command !== 'ROLLBACK');
      return { invalidate: committed ? tables : NOTHING, source: 'commit', sessionChanged: sawSet };
    }
    case 'rollback':
      return { ...quiet, sessionChanged: state.end().sawSet };
    case 'savepoint':
      if (step.outcome === 'ok') state.savepoint(control.name);
      else if (step.outcome === 'server-error') state.markFailed();
      return quiet;
    case 'release':
      if (step.outcome === 'ok') state.release(control.name);
      else if (step.outcome === 'server-error') state.markFailed();
      return quiet;
    case 'rollback-to':
      if (step.outcome === 'ok') return { ...quiet, sessionChanged: state.rollbackTo(control.name) };
      if (step.outcome === 'server-error') state.markFailed();
      return quiet;
    case 'two-phase':
      return settleTwoPhase(state, step);
  }
}

/**
 * PREPARE TRANSACTION detaches the transaction from the session; its writes
 * are committed later by COMMIT PREPARED (here, or anywhere: then only the CDC
 * listener sees them). The queued tables are handed back to be parked.
 */
function settleTwoPhase(state: TransactionState, step: StatementStep): Settlement {
  if (!state.active || step.outcome === 'server-error') {
    if (state.active) state.markFailed();
    return { invalidate: NOTHING, source: 'statement', sessionChanged: false };
  }
  const { tables, sawSet } = state.end();
  return { invalidate: NOTHING, source: 'commit', sessionChanged: sawSet, prepared: tables };
}

/**
 * Several statements, some of them transaction control (`BEGIN; UPDATE ...; COMMIT`):
 * which of them committed is not followed statement by statement. Their writes
 * are invalidated once the text returns, and queued again when a transaction is
 * left open, so its COMMIT invalidates them after the fact as well.
 */
function settleScript(
  state: TransactionState,
  step: StatementStep,
  controls: readonly StatementAnalysis[],
): Settlement {
  const invalidate: TableName[] = [...step.writes];
  const last = controls.at(-1)?.transaction?.kind;
  const open =
    step.status === 'T' || step.status === 'E' || (step.status == null && (last === 'begin' || state.active));
  const closed = step.status === 'I' || (step.status == null && (last === 'commit' || last === 'rollback'));
  if (closed && state.active) invalidate.push(...state.end().tables);
  if (open && !closed) {
    // A transaction left open by a script: its isolation level and its other effects are unknown.
    state.begin(true);
    state.markOpaque();
    state.queue(step.writes);
    if (step.status === 'E') state.markFailed();
  }
  return { invalidate, source: 'statement', sessionChanged: true };
}

/** Correct the bookkeeping with the status Postgres reported; returns tables to invalidate. */
function reconcile(state: TransactionState, status: TransactionStatus): readonly TableName[] {
  if (status === 'I' && state.active) {
    // The transaction ended without a COMMIT or ROLLBACK the wrapper saw: it may have committed.
    return state.end().tables;
  }
  if ((status === 'T' || status === 'E') && !state.active) {
    state.begin(true);
    state.markOpaque();
  }
  if (status === 'E') state.markFailed();
  return NOTHING;
}
