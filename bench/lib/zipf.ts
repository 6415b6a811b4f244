/**
 * A Zipf-distributed sampler over ranks 1..n (P(k) ∝ 1 / k^s), by inverse CDF
 * on a precomputed table: the popularity skew of product views.
 */
import type { Random } from './create-random.js';

/**
 * A function returning ranks in 1..n, rank 1 the most likely.
 * @example
 * const next = zipfSampler(100_000, 1.1, createRandom(7));
 * next(); // 1 most often, then 2, ...
 */
export function zipfSampler(n: number, s: number, random: Random): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += 1 / k ** s;
    cumulative[k - 1] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
}

/** The share of draws that land on the `top` most popular ranks. */
export function zipfTopShare(n: number, s: number, top: number): number {
  let head = 0;
  let total = 0;
  for (let k = 1; k <= n; k++) {
    const weight = 1 / k ** s;
    total += weight;
    if (k <= top) head += weight;
  }
  return head / total;
}

/** A seeded permutation of 1..n, so the most popular ranks are scattered over the ids. */
export function shuffledIds(n: number, random: Random): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i + 1;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = ids[i] ?? 0;
    ids[i] = ids[j] ?? 0;
    ids[j] = swap;
  }
  return ids;
}
