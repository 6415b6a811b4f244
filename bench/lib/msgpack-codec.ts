/**
 * MessagePack codecs from msgpackr: plain maps, or records whose field names are
 * sent once as a shared structure and then referenced by a one-byte id.
 */
import { FLOAT32_OPTIONS, Packr } from 'msgpackr';
import { type BufferCodec, HEADER_BYTES, withHeader, withoutHeader } from './value-codec.js';

/** How to configure msgpackr. */
export interface MsgpackCodecOptions {
  /**
   * Share record structures between writes. The structures live in this
   * process only; across processes they would have to be persisted (msgpackr's
   * `getStructures`/`saveStructures`), or a reader elsewhere cannot decode.
   * @default false
   */
  readonly records?: boolean;
  /**
   * Write a float as float32 when it prints back to the same decimal
   * (msgpackr's `DECIMAL_FIT`): 5 bytes instead of 9 for prices and scores.
   * @default false
   */
  readonly float32?: boolean;
  readonly headerBytes?: number;
}

/** A msgpackr instance configured as in `options`, for encoding dictionaries too. */
export function createPackr(options: MsgpackCodecOptions = {}): Packr {
  const float32 = options.float32 ? { useFloat32: FLOAT32_OPTIONS.DECIMAL_FIT } : {};
  // One instance packs and unpacks, so both sides share the same structures.
  return options.records
    ? new Packr({ structures: [], useRecords: true, ...float32 })
    : new Packr({ useRecords: false, ...float32 });
}

/** MessagePack behind the 3-byte header. */
export function msgpackCodec(options: MsgpackCodecOptions = {}): BufferCodec {
  const packr = createPackr(options);
  const headerBytes = options.headerBytes ?? HEADER_BYTES;
  const name = `msgpack${options.records ? ' records' : ''}${options.float32 ? ' +f32' : ''}`;
  return {
    name,
    readAs: 'buffer',
    encode: (value) => withHeader(packr.pack(value), headerBytes),
    decode: (bytes) => packr.unpack(withoutHeader(bytes, headerBytes)),
  };
}
