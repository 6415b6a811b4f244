/**
 * One connection's transaction, as the wrapper follows it: the tables each
 * savepoint level wrote (their invalidations wait for COMMIT), and what makes
 * the transaction's reads unsafe to cache.
 *
 * Pure bookkeeping: statement-transition.ts feeds it each statement's outcome.
 */
import { type TableName, tableNameKey } from './table-name.js';

/** One savepoint level: the base of the transaction (no name) or a `SAVEPOINT name`. */
interface Frame {
  readonly savepoint: string | undefined;
  readonly writes: Map<string, TableName>;
}

/** Why the transaction's reads cannot use the cache, if they cannot. */
export type TransactionBlock = 'snapshot-isolation' | 'aborted-transaction' | 'opaque-transaction';

/** The state of one connection's transaction. */
export class TransactionState {
  /** `undefined` outside a transaction; else the savepoint levels, base first. */
  #frames: Frame[] | undefined;
  #failed = false;
  #snapshot = false;
  #opaque = false;
  #sawSet = false;

  /** Whether a transaction block is open. */
  get active(): boolean {
    return this.#frames !== undefined;
  }

  /**
   * Open a transaction. `snapshot`: REPEATABLE READ or SERIALIZABLE, whose
   * reads see a snapshot older than what the cache holds, and could store data
   * older than the generations they read (so they bypass the cache).
   */
  begin(snapshot: boolean): void {
    if (this.#frames !== undefined) return;
    this.#frames = [{ savepoint: undefined, writes: new Map() }];
    this.#failed = false;
    this.#snapshot = snapshot;
    this.#opaque = false;
    this.#sawSet = false;
  }

  /** `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ` and the like, after BEGIN. */
  markSnapshot(): void {
    if (this.#frames !== undefined) this.#snapshot = true;
  }

  /** The transaction ran something that may write tables the wrapper cannot name (CALL, DO, a user function). */
  markOpaque(): void {
    if (this.#frames !== undefined) this.#opaque = true;
  }

  /** A statement failed: the transaction is aborted until ROLLBACK or ROLLBACK TO SAVEPOINT. */
  markFailed(): void {
    if (this.#frames !== undefined) this.#failed = true;
  }

  /** A SET ran inside the transaction: SET LOCAL ends with it, so the session must be read again then. */
  markSet(): void {
    if (this.#frames !== undefined) this.#sawSet = true;
  }

  /** Queue tables written in the current savepoint level; returns false outside a transaction. */
  queue(tables: Iterable<TableName>): boolean {
    const top = this.#frames?.at(-1);
    if (top === undefined) return false;
    for (const table of tables) top.writes.set(tableNameKey(table), table);
    return true;
  }

  savepoint(name: string): void {
    this.#frames?.push({ savepoint: name, writes: new Map() });
  }

  /** `RELEASE name`: that level and those above it fold into the level below, their writes kept. */
  release(name: string): void {
    const frames = this.#frames;
    const at = this.#find(name);
    if (frames === undefined || at < 1) return;
    const below = frames[at - 1] as Frame;
    for (const frame of frames.splice(at))
      for (const [key, table] of frame.writes) below.writes.set(key, table);
  }

  /**
   * `ROLLBACK TO name`: the writes made since the savepoint are undone, so their
   * invalidations are dropped; the savepoint stays. Returns whether a SET ran in
   * the transaction (its effect may have been undone too).
   */
  rollbackTo(name: string): boolean {
    const frames = this.#frames;
    const at = this.#find(name);
    if (frames === undefined || at < 0) return false;
    frames.splice(at + 1);
    (frames[at] as Frame).writes.clear();
    this.#failed = false;
    return this.#sawSet;
  }

  /** End the transaction; returns every queued table (the caller invalidates them only if it committed). */
  end(): { readonly tables: TableName[]; readonly sawSet: boolean } {
    const tables = this.queued();
    const sawSet = this.#sawSet;
    this.#frames = undefined;
    this.#failed = false;
    this.#snapshot = false;
    this.#opaque = false;
    this.#sawSet = false;
    return { tables, sawSet };
  }

  /** Every table written so far by the savepoint levels still standing. */
  queued(): TableName[] {
    const all = new Map<string, TableName>();
    for (const frame of this.#frames ?? []) for (const [key, table] of frame.writes) all.set(key, table);
    return [...all.values()];
  }

  /** Whether the transaction has written `table` (in a level that was not rolled back). */
  hasWritten(table: TableName): boolean {
    const key = tableNameKey(table);
    return (this.#frames ?? []).some((frame) => frame.writes.has(key));
  }

  /** Why reads in this transaction must bypass the cache whatever they read, or `undefined`. */
  block(): TransactionBlock | undefined {
    if (this.#frames === undefined) return undefined;
    if (this.#failed) return 'aborted-transaction';
    if (this.#snapshot) return 'snapshot-isolation';
    if (this.#opaque) return 'opaque-transaction';
    return undefined;
  }

  /** The most recent level named `name` (Postgres picks the newest of equal names), or -1. */
  #find(name: string): number {
    const frames = this.#frames ?? [];
    for (let i = frames.length - 1; i >= 1; i--) if ((frames[i] as Frame).savepoint === name) return i;
    return -1;
  }
}
