import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePgoutput } from './pgoutput-decoder.js';
import { epochMsToPostgresTime } from './replication-messages.js';

/** Builds pgoutput messages byte by byte, as the protocol documentation lays them out. */
function message(
  tag: string,
  ...parts: Array<['i8' | 'i16' | 'i32' | 'u64' | 'str', number | bigint | string]>
) {
  const chunks: Buffer[] = [Buffer.from(tag, 'latin1')];
  for (const [type, value] of parts) {
    const b = Buffer.alloc(type === 'i8' ? 1 : type === 'i16' ? 2 : type === 'i32' ? 4 : 8);
    if (type === 'str') {
      chunks.push(Buffer.from(`${value}\0`, 'utf8'));
      continue;
    }
    if (type === 'i8') b.writeInt8(Number(value));
    else if (type === 'i16') b.writeInt16BE(Number(value));
    else if (type === 'i32')
      Number(value) < 0 ? b.writeInt32BE(Number(value)) : b.writeUInt32BE(Number(value));
    else b.writeBigUInt64BE(BigInt(value));
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const at = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

describe('decodePgoutput', () => {
  it('Begin: final LSN, commit time in epoch ms, xid', () => {
    const decoded = decodePgoutput(
      message('B', ['u64', 0x1_0000_0010n], ['u64', epochMsToPostgresTime(at)], ['i32', 4242]),
    );
    assert.deepEqual(decoded, { kind: 'begin', finalLsn: 0x1_0000_0010n, commitAt: at, xid: 4242 });
  });

  it('Commit: commit LSN, end LSN, commit time', () => {
    const decoded = decodePgoutput(
      message('C', ['i8', 0], ['u64', 100n], ['u64', 180n], ['u64', epochMsToPostgresTime(at)]),
    );
    assert.deepEqual(decoded, { kind: 'commit', commitLsn: 100n, endLsn: 180n, commitAt: at });
  });

  it('Relation: OID, schema and table with case and UTF-8 kept; columns are not read', () => {
    const decoded = decodePgoutput(
      message(
        'R',
        ['i32', 16_385],
        ['str', 'Sales'],
        ['str', 'Commandes é'],
        ['i8', 100],
        ['i16', 1],
        ['i8', 1],
        ['str', 'id'],
        ['i32', 23],
        ['i32', -1],
      ),
    );
    assert.deepEqual(decoded, { kind: 'relation', oid: 16_385, schema: 'Sales', table: 'Commandes é' });
  });

  it('Relation in pg_catalog: the empty namespace means pg_catalog', () => {
    const decoded = decodePgoutput(
      message('R', ['i32', 1], ['str', ''], ['str', 't'], ['i8', 100], ['i16', 0]),
    );
    assert.deepEqual(decoded, { kind: 'relation', oid: 1, schema: 'pg_catalog', table: 't' });
  });

  it('Insert, Update and Delete: the relation OID (an OID above 2^31 stays positive)', () => {
    for (const tag of ['I', 'U', 'D']) {
      assert.deepEqual(decodePgoutput(message(tag, ['i32', 3_000_000_000], ['i8', 78])), {
        kind: 'change',
        oid: 3_000_000_000,
      });
    }
  });

  it('Truncate: every relation listed', () => {
    const decoded = decodePgoutput(
      message('T', ['i32', 3], ['i8', 1], ['i32', 10], ['i32', 11], ['i32', 12]),
    );
    assert.deepEqual(decoded, { kind: 'truncate', oids: [10, 11, 12] });
  });

  it('Origin, Type and anything else: passed over', () => {
    assert.deepEqual(decodePgoutput(message('O', ['u64', 1n], ['str', 'node'])), { kind: 'other', tag: 'O' });
    assert.deepEqual(decodePgoutput(message('Y', ['i32', 1], ['str', 's'], ['str', 't'])), {
      kind: 'other',
      tag: 'Y',
    });
  });

  it('a truncated message throws RangeError rather than inventing a table', () => {
    assert.throws(() => decodePgoutput(message('R', ['i32', 1], ['i8', 65])), RangeError);
    assert.throws(() => decodePgoutput(Buffer.from('C\0')), RangeError);
  });
});
