/**
 * Where stored responses live in a Larder cache, and how a request finds its
 * variant (RFC 9111 §4.1) in one store round trip when this process has seen
 * the URL's `Vary` lists before.
 *
 * Layout (under the cache's prefix and version):
 * - `http:<primary key>`: the URL's index, the `Vary` lists of its stored
 *   variants, newest first, so that variants with different `Vary` lists
 *   never collide and every process can find them;
 * - `http:<primary key>|<hash of the selecting values>`: one variant. The
 *   hash keeps the values (a `Cookie`, an `Authorization`) out of key names.
 * Both carry the URL's tag, so an unsafe request to the URL invalidates every
 * variant at once, in every process (RFC 9111 §4.4).
 */
import { createHash } from 'node:crypto';
import type { Cache, Dependencies } from '../core/types.js';
import { varySelector } from './rules/cache-key.js';
import type { HeaderFields } from './rules/header-fields.js';
import type { StoredResponse } from './stored-response.js';

/** The index of one URL. */
interface VaryIndex {
  readonly lists: readonly (readonly string[])[];
}

/** At most this many `Vary` lists per URL (a URL whose Vary changes all the time keeps the newest). */
const MAX_LISTS = 8;
/** URLs whose `Vary` lists this process remembers. */
const MAX_REMEMBERED = 10_000;

/** The selector hash of a response without `Vary`. */
const NO_VARY = createHash('sha256').update('').digest('base64url').slice(0, 32);

/** A found variant. */
export interface FoundVariant {
  readonly key: string;
  readonly stored: StoredResponse;
}

/** The tag every stored variant of a URL carries. */
export function urlTag(primary: string): string {
  return `http:${createHash('sha256').update(primary).digest('base64url').slice(0, 32)}`;
}

/** The responses of one page cache in a Larder cache. */
export class PageStore {
  readonly #cache: Cache;
  readonly #maxFieldLength: number;
  /** Vary lists by primary key, as last read or written here. */
  readonly #lists = new Map<string, readonly (readonly string[])[]>();
  /** Hashes of recent short selectors. */
  readonly #hashes = new Map<string, string>();

  constructor(cache: Cache, maxFieldLength: number) {
    this.#cache = cache;
    this.#maxFieldLength = maxFieldLength;
  }

  /** The key of the variant `headers` select under `vary`, or undefined when a value cannot be a key. */
  variantKey(primary: string, vary: readonly string[], headers: HeaderFields): string | undefined {
    // Most pages vary on nothing: their one variant needs no hash per request.
    if (vary.length === 0) return `http:${primary}|${NO_VARY}`;
    const selector = varySelector(vary, headers, this.#maxFieldLength);
    if (selector === undefined) return undefined;
    return `http:${primary}|${this.#selectorHash(selector)}`;
  }

  /**
   * The stored variant for a request, or undefined. A URL this process has
   * seen: the variants it expects, in one round trip, and the index only when
   * none of them is there. A URL it has not seen: the index first.
   * `unusable` is set when a selecting value cannot be used (never a key).
   */
  async find(primary: string, headers: HeaderFields): Promise<FoundVariant | undefined | 'unusable'> {
    const indexKey = `http:${primary}`;
    const known = this.#lists.get(primary);
    const guesses: string[] = [];
    for (const vary of known ?? []) {
      const key = this.variantKey(primary, vary, headers);
      if (key === undefined) return 'unusable';
      guesses.push(key);
    }
    // A hit on a URL this process knows reads its variant only; the index is read on a miss.
    const found = await this.#cache.getMany<VaryIndex | StoredResponse>(
      guesses.length > 0 ? guesses : [indexKey, ...guesses],
    );
    for (const key of guesses) {
      const stored = found.get(key) as StoredResponse | undefined;
      if (stored !== undefined) return { key, stored };
    }
    const index = (guesses.length > 0 ? await this.#cache.get<VaryIndex>(indexKey) : found.get(indexKey)) as
      | VaryIndex
      | undefined;
    if (index === undefined || !Array.isArray(index.lists)) {
      this.#lists.delete(primary);
      return undefined;
    }
    this.#remember(primary, index.lists);
    const more: string[] = [];
    for (const vary of index.lists) {
      const key = this.variantKey(primary, vary, headers);
      if (key === undefined) return 'unusable';
      if (!guesses.includes(key)) more.push(key);
    }
    if (more.length === 0) return undefined;
    const variants = await this.#cache.getMany<StoredResponse>(more);
    for (const key of more) {
      const stored = variants.get(key);
      if (stored !== undefined) return { key, stored };
    }
    return undefined;
  }

  /** Store a variant and its `Vary` list in the URL's index. */
  async store(
    primary: string,
    key: string,
    stored: StoredResponse,
    ttlMs: number,
    tags: readonly string[],
    indexTags: readonly string[],
    dependencies?: Dependencies,
  ): Promise<void> {
    const lists = [
      stored.vary,
      ...(this.#lists.get(primary) ?? []).filter((l) => !sameList(l, stored.vary)),
    ].slice(0, MAX_LISTS);
    this.#remember(primary, lists);
    // The variant first: an index naming a variant not yet stored is a miss, never a wrong answer.
    await this.#cache.set(key, stored, {
      ttl: ttlMs,
      tags,
      ...(dependencies === undefined ? {} : { dependencies }),
    });
    await this.#cache.set(`http:${primary}`, { lists } satisfies VaryIndex, { ttl: ttlMs, tags: indexTags });
  }

  /** The hash of a selector; the most recent ones are remembered (the anonymous visitor's, above all). */
  #selectorHash(selector: string): string {
    let hash = this.#hashes.get(selector);
    if (hash === undefined) {
      hash = createHash('sha256').update(selector).digest('base64url').slice(0, 32);
      // Only short selectors are remembered: a long one (a session cookie) is one user's.
      if (selector.length <= 256) {
        this.#hashes.set(selector, hash);
        if (this.#hashes.size > MAX_REMEMBERED) {
          const oldest = this.#hashes.keys().next().value;
          if (oldest !== undefined) this.#hashes.delete(oldest);
        }
      }
    }
    return hash;
  }

  #remember(primary: string, lists: readonly (readonly string[])[]): void {
    this.#lists.delete(primary);
    this.#lists.set(primary, lists);
    if (this.#lists.size > MAX_REMEMBERED) {
      const oldest = this.#lists.keys().next().value;
      if (oldest !== undefined) this.#lists.delete(oldest);
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
