/**
 * Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its `{hash tag}`,
 * modulo 16384. Pure, so that every multi-key command can be split per slot
 * before it reaches a cluster (a cross-slot MGET or UNLINK is refused there).
 */

/** The number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0), the variant the Redis
// Cluster specification names; a table makes it one lookup per byte.
const CRC16_TABLE = new Uint16Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) {
    crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  CRC16_TABLE[byte] = crc & 0xffff;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  }
  return crc;
}

/**
 * The bytes of `key` Redis Cluster hashes: those between the first `{` and the
 * first `}` after it when there are any, otherwise the whole key.
 */
export function hashTagOf(key: Uint8Array): Uint8Array {
  const open = key.indexOf(0x7b); // '{'
  if (open === -1) return key;
  const close = key.indexOf(0x7d, open + 1); // '}'
  if (close === -1 || close === open + 1) return key;
  return key.subarray(open + 1, close);
}

/**
 * The Redis Cluster hash slot (0–16383) of `key` (a string is hashed as UTF-8).
 * @example keySlot('123456789') // 12739
 */
export function keySlot(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return crc16(hashTagOf(bytes)) % SLOT_COUNT;
}

/** Keys that share one slot, with their positions in the original list. */
export interface SlotGroup<K extends string | Uint8Array = string> {
  readonly slot: number;
  readonly keys: K[];
  /** `keys[i]` sat at `indexes[i]` in the list that was grouped. */
  readonly indexes: number[];
}

/**
 * Split `keys` into groups that each live in one slot, in order of first
 * appearance, so a multi-key command can be sent once per group and its replies
 * put back where each key came from.
 */
export function groupBySlot<K extends string | Uint8Array>(keys: readonly K[]): Array<SlotGroup<K>> {
  const groups = new Map<number, SlotGroup<K>>();
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as K;
    const slot = keySlot(key);
    let group = groups.get(slot);
    if (group === undefined) {
      group = { slot, keys: [], indexes: [] };
      groups.set(slot, group);
    }
    group.keys.push(key);
    group.indexes.push(index);
  }
  return [...groups.values()];
}
