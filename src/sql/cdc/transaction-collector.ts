/**
 * Turns the pgoutput stream into committed transactions, each with the set of
 * relations it changed. pgoutput (without streaming) sends a transaction only
 * once it has committed, so every Begin is followed by its Commit; a
 * transaction that rolled back never appears.
 */
import type { PgoutputMessage } from './pgoutput-decoder.js';

/** A relation as Postgres stores its name (case preserved). */
export interface RelationName {
  readonly schema: string;
  readonly table: string;
}

/** One committed transaction, reduced to what invalidation needs. */
export interface CommittedTransaction {
  /** Acknowledge this once the transaction's tables are bumped. */
  readonly endLsn: bigint;
  /** When it committed, by the server's clock (epoch ms). */
  readonly commitAt: number;
  /**
   * The relations it changed, by OID, with their names at commit time;
   * `undefined` when no Relation message named the OID (never expected, but
   * then only a full invalidation is safe).
   */
  readonly relations: ReadonlyMap<number, RelationName | undefined>;
}

/** Collects the relations of the transaction in progress in one replication session. */
export class TransactionCollector {
  /** Relation messages come once per session (and again after a schema change), before first use. */
  readonly #names = new Map<number, RelationName>();
  #open: { commitAt: number | undefined; relations: Map<number, RelationName | undefined> } | undefined;

  /** True between a Begin and its Commit. */
  get inTransaction(): boolean {
    return this.#open !== undefined;
  }

  /** Feed the next message; returns the transaction when `message` is its Commit. */
  accept(message: PgoutputMessage): CommittedTransaction | undefined {
    switch (message.kind) {
      case 'begin':
        this.#open = { commitAt: message.commitAt, relations: new Map() };
        return undefined;
      case 'relation':
        this.#names.set(message.oid, { schema: message.schema, table: message.table });
        return undefined;
      case 'change':
        this.#touch(message.oid);
        return undefined;
      case 'truncate':
        for (const oid of message.oids) this.#touch(oid);
        return undefined;
      case 'commit': {
        const open = this.#open;
        this.#open = undefined;
        return {
          endLsn: message.endLsn,
          commitAt: open?.commitAt ?? message.commitAt,
          relations: open?.relations ?? new Map(),
        };
      }
      default:
        return undefined;
    }
  }

  #touch(oid: number): void {
    // A change outside Begin/Commit would be a protocol violation; collecting it
    // into a transaction of its own keeps it from being lost.
    if (this.#open === undefined) this.#open = { commitAt: undefined, relations: new Map() };
    if (!this.#open.relations.has(oid)) this.#open.relations.set(oid, this.#names.get(oid));
  }
}
