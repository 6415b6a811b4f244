/**
 * A seeded pseudo-random generator for tests and benchmarks, so a failing
 * interleaving or a benchmark's payloads can be reproduced from the seed
 * (STYLE §14: randomness is injected, never global).
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
