/**
 * The streaming replication sub-protocol carried in CopyData messages (see the
 * Postgres manual, "Streaming Replication Protocol"): what the walsender sends
 * (XLogData, primary keepalive) and the standby status update we answer with.
 */

/** Postgres timestamps count microseconds from 2000-01-01T00:00:00Z. */
const POSTGRES_EPOCH_MS = 946_684_800_000;

/** A Postgres timestamp (µs since 2000-01-01) as epoch milliseconds. */
export function postgresTimeToEpochMs(microseconds: bigint): number {
  return Number(microseconds / 1000n) + POSTGRES_EPOCH_MS;
}

/** Epoch milliseconds as a Postgres timestamp. */
export function epochMsToPostgresTime(epochMs: number): bigint {
  return BigInt(Math.round(epochMs - POSTGRES_EPOCH_MS)) * 1000n;
}

/** One message of the replication stream. */
export type StreamMessage =
  | {
      readonly kind: 'xlogdata';
      /** Where the data starts in the WAL. */
      readonly startLsn: bigint;
      /** The pgoutput message. */
      readonly payload: Buffer;
    }
  | {
      readonly kind: 'keepalive';
      /** How far the walsender has read and sent the WAL. */
      readonly walEnd: bigint;
      /** The server wants a status update now, or it will drop us at `wal_sender_timeout`. */
      readonly replyRequested: boolean;
    }
  | { readonly kind: 'unknown'; readonly type: number };

/** Decode one CopyData payload from the walsender. */
export function parseStreamMessage(chunk: Buffer): StreamMessage {
  const type = chunk[0];
  if (type === 0x77 /* 'w' */ && chunk.length >= 25) {
    return { kind: 'xlogdata', startLsn: chunk.readBigUInt64BE(1), payload: chunk.subarray(25) };
  }
  if (type === 0x6b /* 'k' */ && chunk.length >= 18) {
    return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 };
  }
  return { kind: 'unknown', type: type ?? -1 };
}

/**
 * A standby status update reporting `lsn` as written, flushed and applied: the
 * server moves the slot's `confirmed_flush_lsn` there and may recycle the WAL
 * before it. `replyRequested` asks for a keepalive back (our liveness probe).
 */
export function encodeStatusUpdate(lsn: bigint, nowMs: number, replyRequested: boolean): Buffer {
  const message = Buffer.alloc(34);
  message[0] = 0x72; // 'r'
  message.writeBigUInt64BE(lsn, 1);
  message.writeBigUInt64BE(lsn, 9);
  message.writeBigUInt64BE(lsn, 17);
  message.writeBigInt64BE(epochMsToPostgresTime(nowMs), 25);
  message[33] = replyRequested ? 1 : 0;
  return message;
}
