/**
 * Which keys have a write of this process in flight to L2. While one has, a
 * read's reply for the key may predate the write on the server (a script
 * resent after NOSCRIPT, pages of a `clear` not yet deleted, a write that
 * timed out in core but may still land): the reply is served to its caller,
 * never kept in L1.
 */
export class LocalWrites {
  /** Key → writes of it in flight. */
  readonly #keys = new Map<string, number>();
  /** Prefixes with a `clear` in flight, one entry per call. */
  readonly #prefixes: string[] = [];

  /** Writes of `key` in flight (a `clear` of a prefix of it counts as one). */
  of(key: string): number {
    let count = this.#keys.get(key) ?? 0;
    for (const prefix of this.#prefixes) if (key.startsWith(prefix)) count++;
    return count;
  }

  /** A write of `keys` starts. Pair with end(). */
  begin(keys: readonly string[]): void {
    for (const key of keys) this.#keys.set(key, (this.#keys.get(key) ?? 0) + 1);
  }

  /** The write begun with `keys` is answered (or failed). */
  end(keys: readonly string[]): void {
    for (const key of keys) {
      const count = (this.#keys.get(key) ?? 1) - 1;
      if (count > 0) this.#keys.set(key, count);
      else this.#keys.delete(key);
    }
  }

  /** A `clear(prefix)` starts. Pair with endClear(). */
  beginClear(prefix: string): void {
    this.#prefixes.push(prefix);
  }

  /** The `clear(prefix)` is answered (or failed). */
  endClear(prefix: string): void {
    const at = this.#prefixes.indexOf(prefix);
    if (at !== -1) this.#prefixes.splice(at, 1);
  }
}
