import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeStatusUpdate,
  epochMsToPostgresTime,
  parseStreamMessage,
  postgresTimeToEpochMs,
} from './replication-messages.js';

describe('replication stream messages', () => {
  it('Postgres time counts microseconds from 2000-01-01 UTC', () => {
    assert.equal(postgresTimeToEpochMs(0n), Date.UTC(2000, 0, 1));
    const at = Date.UTC(2031, 5, 7, 8, 9, 10, 11);
    assert.equal(postgresTimeToEpochMs(epochMsToPostgresTime(at)), at);
  });

  it('XLogData: the start LSN and the payload past the 25-byte header', () => {
    const chunk = Buffer.alloc(25 + 3);
    chunk.write('w', 0, 'latin1');
    chunk.writeBigUInt64BE(0x5_0000_0001n, 1);
    chunk.writeBigUInt64BE(0x5_0000_0009n, 9);
    chunk.write('Bxy', 25, 'latin1');
    const message = parseStreamMessage(chunk);
    assert.equal(message.kind, 'xlogdata');
    assert.ok(message.kind === 'xlogdata');
    assert.equal(message.startLsn, 0x5_0000_0001n);
    assert.equal(message.payload.toString('latin1'), 'Bxy');
  });

  it('keepalive: the WAL end and whether a reply is requested', () => {
    const chunk = Buffer.alloc(18);
    chunk.write('k', 0, 'latin1');
    chunk.writeBigUInt64BE(1234n, 1);
    chunk[17] = 1;
    assert.deepEqual(parseStreamMessage(chunk), { kind: 'keepalive', walEnd: 1234n, replyRequested: true });
    chunk[17] = 0;
    assert.deepEqual(parseStreamMessage(chunk), { kind: 'keepalive', walEnd: 1234n, replyRequested: false });
  });

  it('anything else is unknown, including a short message', () => {
    assert.deepEqual(parseStreamMessage(Buffer.from('k')), { kind: 'unknown', type: 0x6b });
    assert.deepEqual(parseStreamMessage(Buffer.from('z')), { kind: 'unknown', type: 0x7a });
  });

  it('standby status update: the exact LSN (not plus one) as written, flushed and applied', () => {
    const at = Date.UTC(2030, 0, 1);
    const update = encodeStatusUpdate(0x2_0000_00f0n, at, true);
    assert.equal(update.length, 34);
    assert.equal(update.toString('latin1', 0, 1), 'r');
    for (const offset of [1, 9, 17]) assert.equal(update.readBigUInt64BE(offset), 0x2_0000_00f0n);
    assert.equal(postgresTimeToEpochMs(update.readBigInt64BE(25)), at);
    assert.equal(update[33], 1);
    assert.equal(encodeStatusUpdate(1n, at, false)[33], 0);
  });
});
