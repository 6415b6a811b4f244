/**
 * Fuzz: "corrupt bytes are always a miss". Valid entries of many shapes
 * (serializers, compression, grace, tags) are corrupted at random — flipped
 * bits, replaced, inserted or deleted bytes, truncations, foreign bytes — and
 * every read must be a miss with one `E_DECODE` event: never a wrong value,
 * never a throw. The only bytes that may read as a value are canonical
 * integer digits, which are a counter by design and read as that integer.
 * Seeded: a failure names its seed and iteration, and replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { createRandom, type Random } from '../test-support/seeded-random.js';
import type { Cache, CacheErrorEvent, CacheOptions } from './types.js';

const SEED = 0x5eed_c0de;
const ITERATIONS = 2_500;

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
const int = (random: Random, below: number): number => Math.floor(random() * below);

/** A value of a random shape (never a bare safe integer, which is stored as raw digits). */
function randomValue(random: Random, depth = 0): unknown {
  switch (int(random, depth > 2 ? 5 : 8)) {
    case 0:
      return 'x'.repeat(int(random, 200)) + String(random());
    case 1:
      return random() * 1e6;
    case 2:
      return pick(random, [null, true, false, -0, 2 ** 60, 'text', '', 'é€😀']);
    case 3:
      return new Date(1_700_000_000_000 + int(random, 1e9));
    case 4:
      return Buffer.from(Array.from({ length: int(random, 40) }, () => int(random, 256)));
    case 5:
      return Array.from({ length: 1 + int(random, 6) }, () => randomValue(random, depth + 1));
    case 6:
      return Object.fromEntries(
        Array.from({ length: 1 + int(random, 6) }, (_, i) => [`k${i}`, randomValue(random, depth + 1)]),
      );
    default:
      return {
        id: int(random, 1e6),
        name: 'row',
        list: [1, 2, 3],
        nested: { deep: 'y'.repeat(int(random, 80)) },
      };
  }
}

/** A different byte string made from `bytes` by one random corruption. */
function corrupt(random: Random, bytes: Buffer): { readonly kind: string; readonly out: Buffer } {
  const at = int(random, bytes.length);
  switch (int(random, 8)) {
    case 0: {
      const out = Buffer.from(bytes);
      for (let flips = 1 + int(random, 3); flips > 0; flips--) {
        const i = int(random, out.length);
        out[i] = (out[i] as number) ^ (1 << int(random, 8));
      }
      return { kind: 'bit flips', out };
    }
    case 1: {
      const out = Buffer.from(bytes);
      out[at] = ((out[at] as number) + 1 + int(random, 255)) & 0xff;
      return { kind: 'replaced byte', out };
    }
    case 2:
      return { kind: 'truncation', out: bytes.subarray(0, int(random, bytes.length)) };
    case 3: {
      const inserted = Buffer.from(Array.from({ length: 1 + int(random, 8) }, () => int(random, 256)));
      return {
        kind: 'insertion',
        out: Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]),
      };
    }
    case 4: {
      const length = 1 + int(random, Math.max(1, bytes.length - at));
      return { kind: 'deletion', out: Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + length)]) };
    }
    case 5:
      return { kind: 'front cut', out: bytes.subarray(1 + int(random, bytes.length - 1)) };
    case 6: {
      // Foreign bytes, half of them dressed as an envelope.
      const out = Buffer.from(Array.from({ length: int(random, 64) }, () => int(random, 256)));
      if (out.length >= 3 && random() < 0.5) {
        out[0] = 0xc1;
        out[1] = pick(random, [1, 2]);
      }
      return { kind: 'foreign bytes', out };
    }
    default: {
      const out = Buffer.alloc(bytes.length);
      for (let i = 0; i < out.length; i++) out[i] = int(random, 256);
      out[0] = bytes[0] as number;
      out[1] = bytes[1] as number;
      out[2] = bytes[2] as number;
      return { kind: 'same header, random body', out };
    }
  }
}

/** Raw counters are canonical digits; such bytes are an integer, not corruption. */
function asCounter(bytes: Buffer): number | undefined {
  const text = bytes.toString('latin1');
  if (!/^(0|-?[1-9]\d{0,19})$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

describe('corrupt bytes', () => {
  it(`are always a miss plus E_DECODE, never a wrong value or a throw (seed ${SEED}, ${ITERATIONS} corruptions)`, async () => {
    const random = createRandom(SEED);
    const store = memoryStore();
    const errors: CacheErrorEvent[] = [];
    const configs: ReadonlyArray<Omit<CacheOptions, 'store'>> = [
      { prefix: 'plain' },
      { prefix: 'json', serializer: 'json' },
      { prefix: 'gzip', compression: { algorithm: 'gzip', thresholdBytes: 0 } },
      { prefix: 'brotli', serializer: 'json', compression: { algorithm: 'brotli', thresholdBytes: 0 } },
      { prefix: 'grace', grace: '1h' },
      { prefix: 'grace-json', serializer: 'json', grace: '1h' },
    ];
    const caches: Cache[] = configs.map((config) => {
      const cache = createCache({ ...config, store, onError: 'degrade', logger: { warn() {} } });
      cache.on('error', (event) => errors.push(event));
      return cache;
    });
    const kinds = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const index = int(random, caches.length);
      const cache = caches[index] as Cache;
      const prefix = configs[index]?.prefix as string;
      const value = randomValue(random);
      const tags = random() < 0.3 ? ['t1', `t${int(random, 4)}`] : undefined;
      await cache.set('source', value, tags === undefined ? {} : { tags });
      const original = Buffer.from((await store.get(`${prefix}:1:source`)) ?? []);
      assert.equal(original[0], 0xc1, 'the source is an envelope');
      const { kind, out } = corrupt(random, original);
      if (out.equals(original)) continue;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const where = `iteration ${i} (${kind}, ${prefix}): ${out.toString('hex').slice(0, 120)}`;
      // A fresh buffer per write: a sharing store memoizes the decode on the buffer object.
      await store.set(`${prefix}:1:victim`, Buffer.from(out), 60_000);
      errors.length = 0;
      const counter = asCounter(out);
      const got = await cache.get('victim', { default: 'MISS' });
      const has = await cache.has('victim');
      const many = await cache.getMany(['victim']);
      if (counter !== undefined) {
        assert.equal(got, counter, where);
        continue;
      }
      assert.equal(got, 'MISS', where);
      assert.equal(has, false, where);
      assert.equal(many.size, 0, where);
      assert.deepEqual(
        errors.map((event) => [event.operation, event.code]),
        [
          ['get', 'E_DECODE'],
          ['has', 'E_DECODE'],
          ['getMany', 'E_DECODE'],
        ],
        where,
      );
      assert.equal(await cache.getOrSet('victim', () => `computed ${i}`), `computed ${i}`, where);
    }
    for (const kind of ['bit flips', 'replaced byte', 'truncation', 'insertion', 'deletion', 'foreign bytes'])
      assert.ok((kinds.get(kind) ?? 0) > 100, `${kind} was tried often enough`);
    await Promise.all(caches.map((cache) => cache.close()));
  });
});
