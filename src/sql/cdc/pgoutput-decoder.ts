/**
 * The few pgoutput messages (protocol version 1) the listener needs: which
 * transaction, which tables, where it ends in the WAL. Row data is never
 * decoded: the cache only learns that a table changed, so there is no type
 * parsing to cost time or fail on an unusual column type.
 */
import { postgresTimeToEpochMs } from './replication-messages.js';

/** A decoded pgoutput message, reduced to what invalidation needs. */
export type PgoutputMessage =
  | {
      readonly kind: 'begin';
      /** The LSN of the transaction's commit record. */
      readonly finalLsn: bigint;
      /** When the transaction committed on the server (epoch ms, the server's clock). */
      readonly commitAt: number;
      readonly xid: number;
    }
  | {
      readonly kind: 'commit';
      readonly commitLsn: bigint;
      /** The end of the commit record: the position to acknowledge once it is handled. */
      readonly endLsn: bigint;
      readonly commitAt: number;
    }
  | {
      readonly kind: 'relation';
      readonly oid: number;
      /** As Postgres stores it (`pg_catalog` when the message leaves it empty). */
      readonly schema: string;
      readonly table: string;
    }
  /** An INSERT, UPDATE or DELETE of one row of a relation. */
  | { readonly kind: 'change'; readonly oid: number }
  | { readonly kind: 'truncate'; readonly oids: readonly number[] }
  /** Origin, Type, logical Message...: nothing to do for the cache. */
  | { readonly kind: 'other'; readonly tag: string };

class Reader {
  readonly #buffer: Buffer;
  #offset = 1; // past the message tag

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  int8(): number {
    const value = this.#buffer.readInt8(this.#offset);
    this.#offset += 1;
    return value;
  }

  int32(): number {
    const value = this.#buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  uint32(): number {
    const value = this.#buffer.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  uint64(): bigint {
    const value = this.#buffer.readBigUInt64BE(this.#offset);
    this.#offset += 8;
    return value;
  }

  string(): string {
    const end = this.#buffer.indexOf(0, this.#offset);
    if (end < 0) throw new RangeError('pgoutput: unterminated string');
    const value = this.#buffer.toString('utf8', this.#offset, end);
    this.#offset = end + 1;
    return value;
  }
}

/** Decode the pgoutput message in one XLogData payload. Throws `RangeError` on a truncated message. */
export function decodePgoutput(payload: Buffer): PgoutputMessage {
  const reader = new Reader(payload);
  const tag = String.fromCharCode(payload[0] ?? 0);
  switch (tag) {
    case 'B': {
      const finalLsn = reader.uint64();
      const commitAt = postgresTimeToEpochMs(reader.uint64());
      return { kind: 'begin', finalLsn, commitAt, xid: reader.uint32() };
    }
    case 'C': {
      reader.int8(); // flags, unused
      const commitLsn = reader.uint64();
      const endLsn = reader.uint64();
      return { kind: 'commit', commitLsn, endLsn, commitAt: postgresTimeToEpochMs(reader.uint64()) };
    }
    case 'R': {
      const oid = reader.uint32();
      const schema = reader.string();
      return { kind: 'relation', oid, schema: schema === '' ? 'pg_catalog' : schema, table: reader.string() };
    }
    case 'I':
    case 'U':
    case 'D':
      return { kind: 'change', oid: reader.uint32() };
    case 'T': {
      const count = reader.int32();
      reader.int8(); // CASCADE / RESTART IDENTITY bits: the listed relations are all we need
      const oids: number[] = [];
      for (let i = 0; i < count; i++) oids.push(reader.uint32());
      return { kind: 'truncate', oids };
    }
    default:
      return { kind: 'other', tag };
  }
}
