/**
 * A seeded pseudo-random generator, so every benchmark run sees the very same
 * payloads and key order (STYLE §14: randomness is injected, never global).
 */

/** A function returning a float in [0, 1). */
export type Random = () => number;

/**
 * Mulberry32: 32 bits of state, fast, and good enough to spread test data; not
 * for anything that needs unpredictability.
 * @example
 * const random = createRandom(42);
 * random(); // always the same first number for seed 42
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], both ends included. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * An index into a list of `length` items where low indexes are much more likely
 * (a Zipf-like skew), the way a few first names or mail domains cover most people.
 */
export function skewedIndex(random: Random, length: number, skew = 1.6): number {
  return Math.min(length - 1, Math.floor(length * random() ** skew));
}

/** One item of a non-empty list, picked with `skewedIndex`. */
export function pickSkewed<T>(random: Random, items: readonly T[], skew?: number): T {
  const item = items[skewedIndex(random, items.length, skew)];
  if (item === undefined) throw new Error('pickSkewed: empty list');
  return item;
}
