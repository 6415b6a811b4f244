/**
 * Raw deflate with a preset dictionary (zlib's `dictionary` option), in two
 * flavours that differ only in speed:
 *
 * - `one-shot`: `zlib.deflateRawSync`/`inflateRawSync`, the public API. Every
 *   call creates and frees a zlib stream (window, hash tables) in C++.
 * - `reused`: one zlib stream per direction, reset between values. Node has no
 *   public API for that (`zlibBufferSync` closes the stream after each call), so
 *   this drives the stream's internal handle. It exists to show what a library
 *   would gain from a reusable stream (or a pure-JS inflater); it is not a
 *   recommendation to depend on Node internals.
 */
import zlib from 'node:zlib';

/** Which way to call zlib. */
export type ZlibMode = 'one-shot' | 'reused';

/** Compresses or decompresses one value at a time. */
export type Transform = (bytes: Uint8Array) => Buffer;

// The parts of Node's internal zlib handle that a sync write touches (Node 20).
interface ZlibHandle {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
}

interface ZlibInternals {
  _handle: ZlibHandle | null;
  _writeState: Uint32Array;
}

const OUTPUT_BYTES = 64 * 1024;

function reusedTransform(stream: zlib.DeflateRaw | zlib.InflateRaw): Transform {
  const internals = stream as unknown as ZlibInternals;
  const handle = internals._handle;
  if (handle === null || typeof handle.writeSync !== 'function') {
    throw new Error('this Node version has no reusable zlib handle');
  }
  const output = Buffer.allocUnsafe(OUTPUT_BYTES);
  return (bytes) => {
    // reset() also re-applies the preset dictionary (Node's ResetStream does).
    handle.reset();
    handle.writeSync(zlib.constants.Z_FINISH, bytes, 0, bytes.byteLength, output, 0, OUTPUT_BYTES);
    const [availableOut, availableIn] = internals._writeState;
    // The benchmark's values are small; a value that fills the buffer would need a loop.
    if (availableOut === 0 || availableIn !== 0)
      throw new Error('value too large for the reused zlib buffer');
    return Buffer.from(output.subarray(0, OUTPUT_BYTES - (availableOut ?? 0)));
  };
}

/** A compressor for one dictionary and level. */
export function createDeflater(dictionary: Buffer, level: number, mode: ZlibMode): Transform {
  if (mode === 'one-shot') return (bytes) => zlib.deflateRawSync(bytes, { level, dictionary });
  return reusedTransform(zlib.createDeflateRaw({ level, dictionary }));
}

/** A decompressor for one dictionary. */
export function createInflater(dictionary: Buffer, mode: ZlibMode): Transform {
  if (mode === 'one-shot') return (bytes) => zlib.inflateRawSync(bytes, { dictionary });
  return reusedTransform(zlib.createInflateRaw({ dictionary }));
}
