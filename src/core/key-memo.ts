/**
 * A bounded memo of user key → stored key, in two generations: lookups go to the
 * current map, then the previous one (promoting what they find); when the
 * current map is full it becomes the previous one and a new map starts. Hot keys
 * survive every turnover, and a working set larger than the bound costs a failed
 * lookup, not a clear-and-refill cliff.
 */
export class KeyMemo {
  readonly #capacity: number;
  #current = new Map<string, string>();
  #previous = new Map<string, string>();

  /** `capacity` entries per generation. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The stored key remembered for `key`, if any. */
  get(key: string): string | undefined {
    const current = this.#current.get(key);
    if (current !== undefined) return current;
    const previous = this.#previous.get(key);
    if (previous !== undefined) this.set(key, previous);
    return previous;
  }

  /** Remember `stored` for `key`. */
  set(key: string, stored: string): void {
    if (this.#current.size >= this.#capacity) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, stored);
  }
}
