/**
 * The benchmarks' seeded random numbers: the generator lives with the test
 * helpers (src/test-support/seeded-random.ts), so tests and benchmarks share one.
 */
import type { Random } from '../../src/test-support/seeded-random.js';

export { createRandom, type Random } from '../../src/test-support/seeded-random.js';

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
