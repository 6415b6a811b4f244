/**
 * Values of one exact size, regardless of the profile: reference points that
 * show where Redis's allocation steps are (e.g. 44 vs 45 bytes, the embstr edge).
 */
import { createRandom } from './create-random.js';
import type { BufferCodec } from './value-codec.js';

/** Deterministic pseudo-random bytes of `totalBytes` (header included) per profile id. */
export function syntheticCodec(totalBytes: number): BufferCodec {
  return {
    name: `synthetic ${totalBytes} B value`,
    readAs: 'buffer',
    encode: (value) => {
      const random = createRandom((value as { id: number }).id);
      const bytes = Buffer.allocUnsafe(totalBytes);
      for (let i = 0; i < totalBytes; i++) bytes[i] = Math.floor(random() * 256);
      // Never all digits: Redis would store a numeric string as an integer.
      bytes[0] = 0xc1;
      return bytes;
    },
    decode: (bytes) => bytes,
  };
}
