/**
 * Log sequence numbers: Postgres prints them as two hex halves (`16/B374D848`);
 * we compute with them as unsigned 64-bit bigints.
 */
import { invalidOption } from '../../core/invalid-option.js';

/** The zero LSN, which `START_REPLICATION` reads as "from the slot's confirmed position". */
export const ZERO_LSN = 0n;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** `'16/B374D848'` → `0x16B374D848n`. Throws `E_INVALID_OPTION` on anything else. */
export function parseLsn(text: string): bigint {
  const match = LSN_TEXT.exec(text);
  if (match === null) throw invalidOption('lsn', "an LSN such as '16/B374D848'", text);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** `0x16B374D848n` → `'16/B374D848'`, as Postgres prints it. */
export function formatLsn(lsn: bigint): string {
  const high = (lsn >> 32n) & 0xffff_ffffn;
  const low = lsn & 0xffff_ffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}
