/**
 * Generation counters per tag: how tagged entries are invalidated in O(1)
 * without the invalidate-vs-fill race.
 *
 * A reader snapshots the generations of an entry's tags **before** it reads the
 * source, and stores them with the entry; the entry is valid only while every
 * counter still holds that number. An invalidation increments the counters, so
 * a value computed from data read before it carries an old number and is never
 * served, however late it is stored. Counters, not clocks: clock skew between
 * processes cannot make an old value look new.
 *
 * A counter expires after the entries that recorded it (see counter-ttl.ts):
 * created with a TTL, extended by every write that depends on it. If it goes
 * missing (expired, evicted under `allkeys-*`, deleted by hand) every entry that
 * recorded it reads as invalid, never as valid, and it is re-created from a
 * random seed so that it cannot come back holding a number some old entry
 * recorded.
 */
import { COUNTER_MARGIN_MS, CounterLives, counterSeed, counterTtl } from './counter-ttl.js';
import type { CounterSpace } from './dependency-scope.js';
import { encodeEntry, parseRawInteger } from './envelope.js';
import { isLarderError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { MaybePromise, StoreTtlMs } from './store.js';
import type { StoreGuard } from './store-guard.js';

/** The counters of one cache's tags, in its store. */
export class TagGenerations {
  readonly #options: ResolvedOptions;
  readonly #guard: StoreGuard;
  readonly #head: string;
  /** The counters' lives as this process extended them: tags' and namespaces' (see CounterLives). */
  readonly lives: CounterLives;
  /** Where these counters live: generations read here mean nothing against another space's. */
  readonly space: CounterSpace;
  /** Counter keys by (frozen) tag list. */
  readonly #keys = new WeakMap<readonly string[], readonly string[]>();
  /** Parse read counters; remembering each number on its bytes when the store shares them (an L1). */
  readonly #parse: (values: ReadonlyArray<Uint8Array | null | undefined>) => Array<number | undefined>;

  constructor(options: ResolvedOptions, guard: StoreGuard) {
    this.#options = options;
    this.#guard = guard;
    this.lives = new CounterLives(options.store, options.clock);
    // `prefix#T:` can never be produced by the default key layout (`prefix:` / `prefix/`).
    this.#head = `${options.prefix}#T:`;
    this.space = Object.freeze({ store: options.store, prefix: options.prefix });
    const parse = options.store.sharesBuffers === true ? parseSharedGeneration : parseGeneration;
    this.#parse = (values) => {
      const generations = new Array<number | undefined>(values.length);
      for (let i = 0; i < values.length; i++) {
        const bytes = values[i];
        generations[i] = bytes == null ? undefined : parse(bytes);
      }
      return generations;
    };
  }

  /** The store key of a tag's counter. */
  key(tag: string): string {
    return this.#head + tag;
  }

  /**
   * The current generation of each tag, creating counters that do not exist yet
   * with a TTL that outlives an entry stored for `entryTtlMs`;
   * `undefined` when a counter could not be established (it vanished again at
   * once). Rejects when the store fails. Either way the caller must not cache
   * what it computes.
   */
  async snapshot(tags: readonly string[], entryTtlMs: StoreTtlMs): Promise<number[] | undefined> {
    const found = await this.read(tags);
    for (let i = 0; i < found.length; i++) {
      if (found[i] === undefined)
        found[i] = await this.#create(this.key(tags[i] as string), counterTtl(entryTtlMs));
      if (found[i] === undefined) return undefined;
    }
    return found as number[];
  }

  /**
   * The current generation of each tag; `undefined` where the counter is
   * missing. Synchronous when the store answers synchronously (an L1 hit).
   */
  read(tags: readonly string[]): MaybePromise<Array<number | undefined>> {
    const { store } = this.#options;
    const keys = this.#keysOf(tags);
    if (keys.length > 1 && store.getMany !== undefined) {
      const values = this.#guard.run('tags', () => store.getMany?.(keys) ?? []);
      return values instanceof Promise ? values.then(this.#parse) : this.#parse(values);
    }
    const values: Array<Uint8Array | null | undefined> = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const result = this.#guard.run('tags', () => store.get(key));
      if (result instanceof Promise) return this.#readRest(keys, values, result);
      values.push(result);
    }
    return this.#parse(values);
  }

  /** `read` from the first store read that answered with a promise on. */
  async #readRest(
    keys: readonly string[],
    values: Array<Uint8Array | null | undefined>,
    pending: Promise<Uint8Array | null | undefined>,
  ): Promise<Array<number | undefined>> {
    const { store } = this.#options;
    values.push(await pending);
    for (let i = values.length; i < keys.length; i++) {
      const key = keys[i] as string;
      const result = this.#guard.run('tags', () => store.get(key));
      values.push(result instanceof Promise ? await result : result);
    }
    return this.#parse(values);
  }

  /** The counters' keys of a tag list; remembered for the frozen lists callers reuse. */
  #keysOf(tags: readonly string[]): readonly string[] {
    const known = this.#keys.get(tags);
    if (known !== undefined) return known;
    const keys = tags.map((tag) => this.key(tag));
    if (Object.isFrozen(tags)) this.#keys.set(tags, keys);
    return keys;
  }

  /**
   * Keep the tags' counters alive at least as long as an entry stored now for
   * `entryTtlMs` (TTL plus grace; `null` forever). Missing counters are left
   * missing (snapshot creates them). Never rejects: a counter that expires
   * early only makes entries read as invalid.
   */
  async keep(tags: readonly string[], entryTtlMs: StoreTtlMs): Promise<void> {
    await Promise.all(
      this.#keysOf(tags).map((key) => this.lives.keep(this.#guard, key, entryTtlMs).catch(() => {})),
    );
  }

  /** Whether every tag still has the generation recorded (a missing counter is a mismatch). */
  async current(tags: readonly string[], generations: readonly number[]): Promise<boolean> {
    const pending = this.read(tags);
    return unchanged(pending instanceof Promise ? await pending : pending, generations);
  }

  /** Move each tag to a new generation, through `guard` (invalidations have their own). Rejects when the store fails. */
  async bump(tags: readonly string[], guard: StoreGuard): Promise<void> {
    const { store, codec } = this.#options;
    await Promise.all(
      tags.map(async (tag) => {
        const key = this.key(tag);
        if (store.incrBy !== undefined) {
          try {
            await guard.run('invalidateTags', () => store.incrBy?.(key, 1) ?? 0);
            return;
          } catch (error) {
            if (!isLarderError(error, 'E_MISSING_KEY') && !isLarderError(error, 'E_NOT_INTEGER')) throw error;
          }
        }
        // No counter (or no atomic increment): any fresh seed differs from every
        // number an entry could have recorded, so overwriting is an invalidation.
        // No entry depends on the new number yet: the margin is TTL enough, and
        // the fills that record it extend it. (INCRBY above keeps the TTL.)
        this.lives.forget(key);
        await guard.run('invalidateTags', () =>
          store.set(key, encodeEntry(this.#seed(), codec), COUNTER_MARGIN_MS),
        );
      }),
    );
  }

  async #create(key: string, ttlMs: StoreTtlMs): Promise<number | undefined> {
    const { store, codec } = this.#options;
    this.lives.forget(key);
    await this.#guard.run('tags', () => store.add(key, encodeEntry(this.#seed(), codec), ttlMs));
    // Whoever created it first (we or a racing process), the stored number is the one that counts.
    const bytes = await this.#guard.run('tags', () => store.get(key));
    return bytes == null ? undefined : parseGeneration(bytes);
  }

  #seed(): number {
    return counterSeed(this.#options.random);
  }
}

/** Whether every counter read still holds the generation recorded (a missing or unreadable one never does). */
export function unchanged(
  current: ReadonlyArray<number | undefined> | undefined,
  recorded: readonly number[],
): boolean {
  if (current === undefined) return false;
  for (let i = 0; i < current.length; i++) {
    const generation = current[i];
    if (generation === undefined || generation !== recorded[i]) return false;
  }
  return true;
}

/**
 * A counter's number, remembered on bytes that a sharing store (memory, L1)
 * hands out again and again: it never changes them in place — an increment
 * stores new bytes.
 */
const PARSED: unique symbol = Symbol('larder.generation');
type ParsedBuffer = Uint8Array & { [PARSED]?: number };

function parseSharedGeneration(bytes: Uint8Array): number | undefined {
  const known = (bytes as ParsedBuffer)[PARSED];
  if (known !== undefined) return known;
  const parsed = parseGeneration(bytes);
  if (parsed !== undefined) (bytes as ParsedBuffer)[PARSED] = parsed;
  return parsed;
}

function parseGeneration(bytes: Uint8Array): number | undefined {
  try {
    return parseRawInteger(bytes);
  } catch {
    // Foreign bytes under a counter key: treated as missing, so entries read as invalid.
    return undefined;
  }
}
