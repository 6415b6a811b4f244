/**
 * CPU cost of a codec alone (no Redis): microseconds to encode and to decode one
 * value, which is what separates the codecs' GET throughput.
 */
import { spread } from './stats.js';
import type { ValueCodec } from './value-codec.js';

/** Median over passes of the per-value cost, and the encoded size. */
export interface CodecCost {
  readonly name: string;
  readonly encodeMicros: number;
  readonly decodeMicros: number;
  readonly meanBytes: number;
}

/** Encode and decode every value `passes` times; report the median pass. */
export function measureCodecCost(codec: ValueCodec, values: readonly unknown[], passes = 5): CodecCost {
  const encodeTimes: number[] = [];
  const decodeTimes: number[] = [];
  let meanBytes = 0;
  let sink = 0;
  for (let pass = 0; pass < passes; pass++) {
    let startedMs = performance.now();
    const encoded = values.map((value) => codec.encode(value));
    encodeTimes.push(((performance.now() - startedMs) * 1000) / values.length);
    meanBytes = encoded.reduce((sum, bytes) => sum + Buffer.byteLength(bytes), 0) / values.length;
    startedMs = performance.now();
    if (codec.readAs === 'string') {
      for (const text of encoded as string[]) sink += codec.decode(text) === undefined ? 0 : 1;
    } else {
      for (const bytes of encoded as Buffer[]) sink += codec.decode(bytes) === undefined ? 0 : 1;
    }
    decodeTimes.push(((performance.now() - startedMs) * 1000) / values.length);
  }
  if (sink !== passes * values.length) throw new Error(`${codec.name}: a value decoded to undefined`);
  return {
    name: codec.name,
    encodeMicros: spread(encodeTimes).median,
    decodeMicros: spread(decodeTimes).median,
    meanBytes,
  };
}
