/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) over bytes: the
 * envelope's checksum. Node's native `zlib.crc32` where it exists (Node
 * ≥ 20.15 / 22.2); a table-driven fallback with the same results elsewhere.
 */
import zlib from 'node:zlib';

type Crc32 = (bytes: Uint8Array) => number;

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const out = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    out[n] = c >>> 0;
  }
  return out;
}

/** The table-driven CRC-32, exported so a test can hold it to the native one. */
export function crc32Table(bytes: Uint8Array): number {
  table ??= makeTable();
  const t = table;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++)
    crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** The CRC-32 of `bytes`, as an unsigned 32-bit integer. */
export const crc32: Crc32 = native ?? crc32Table;
