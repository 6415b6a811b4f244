/**
 * The exact bytes a real Larder configuration stores, obtained through the
 * public API: a cache over a store that only records what `set` hands it (the
 * stored key and the envelope bytes). The memory benchmark writes those bytes to
 * Redis itself, pipelined, so every setting is written the same way, and reads
 * them back through a real `createCache` + `redisStore` of the same configuration.
 */
import { type CacheOptions, createCache, type Store, type StoreAddResult } from './larder.js';
import { spread } from './stats.js';

/** Cache options that decide the stored form (everything but the store). */
export type LarderConfig = Omit<CacheOptions, 'store'>;

/** A value's stored form: the key Redis sees and the bytes under it. */
export interface StoredForm {
  readonly key: string;
  readonly value: Buffer;
}

/**
 * A store that keeps the last entry written (and, if asked, every entry, served
 * back by `get` as a fresh copy each time, so the cache decodes every read).
 */
class CaptureStore implements Store {
  readonly name = 'capture';
  readonly #entries: Map<string, Buffer> | undefined;
  last: StoredForm | undefined;

  constructor(keep: boolean) {
    this.#entries = keep ? new Map() : undefined;
  }

  get(key: string): Uint8Array | undefined {
    const bytes = this.#entries?.get(key);
    return bytes === undefined ? undefined : Buffer.from(bytes);
  }

  set(key: string, value: Uint8Array): void {
    const bytes = Buffer.from(value);
    this.last = { key, value: bytes };
    this.#entries?.set(key, bytes);
  }

  add(key: string, value: Uint8Array): StoreAddResult {
    this.set(key, value);
    return 'stored';
  }

  delete(key: string): boolean {
    return this.#entries?.delete(key) ?? false;
  }

  async clear(): Promise<void> {
    this.#entries?.clear();
  }
}

/** Turns values into the stored form a Larder configuration would write. */
export interface LarderEncoder {
  /** The stored key and bytes of `cache.set(userKey, value, { ttl })`. */
  encode(userKey: string, value: unknown): Promise<StoredForm>;
  close(): Promise<void>;
}

/** An encoder for `config`, through `createCache` over a capturing store. */
export function larderEncoder(config: LarderConfig): LarderEncoder {
  const store = new CaptureStore(false);
  const cache = createCache({ ...config, store });
  return {
    async encode(userKey, value) {
      store.last = undefined;
      await cache.set(userKey, value, { ttl: '1h' });
      if (store.last === undefined) throw new Error(`cache.set stored nothing for ${userKey}`);
      return store.last;
    },
    close: () => cache.close(),
  };
}

/** CPU cost of a Larder configuration's write and read paths, without a network. */
export interface LarderCost {
  readonly meanBytes: number;
  /** `await cache.set` into a capturing store: serialize, compress, envelope, per value. */
  readonly setMicros: number;
  /** `await cache.get` from an in-process byte store that hands out a fresh copy: decode per value. */
  readonly getMicros: number;
}

/** Median over `passes` of the per-value cost of `cache.set` and `cache.get` for `values`. */
export async function measureLarderCost(
  config: LarderConfig,
  values: readonly unknown[],
  passes = 5,
): Promise<LarderCost> {
  const store = new CaptureStore(true);
  const cache = createCache({ ...config, store });
  const keys = values.map((_, i) => `value:${i}`);
  const setTimes: number[] = [];
  const getTimes: number[] = [];
  let bytes = 0;
  let misses = 0;
  // One untimed pass first: the first calls of a configuration pay for JIT compilation.
  for (let pass = -1; pass < passes; pass++) {
    let startedMs = performance.now();
    for (const [i, key] of keys.entries()) await cache.set(key, values[i], { ttl: '1h' });
    if (pass >= 0) setTimes.push(((performance.now() - startedMs) * 1000) / values.length);
    bytes = 0;
    for (const key of keys) bytes += store.get(`${cache.prefix}:${cache.version}:${key}`)?.byteLength ?? 0;
    startedMs = performance.now();
    for (const key of keys) if ((await cache.get(key)) === undefined) misses++;
    if (pass >= 0) getTimes.push(((performance.now() - startedMs) * 1000) / values.length);
  }
  await cache.close();
  if (misses > 0) throw new Error(`measureLarderCost: ${misses} reads missed`);
  return {
    meanBytes: bytes / values.length,
    setMicros: spread(setTimes).median,
    getMicros: spread(getTimes).median,
  };
}
