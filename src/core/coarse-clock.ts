/**
 * Clocks that read the system clock at most once per `resolutionMs`. On some VMs
 * `Date.now()` and `performance.now()` cost 70–80 ns each, a large share of a
 * ~300 ns memory hit or of the per-call overhead on a Redis GET.
 */

/**
 * `read()`, reused until a timer of `resolutionMs` clears it. While the event loop
 * is blocked the reading can fall behind by as long as it is blocked; callers
 * accept that resolution.
 */
export function coarseClock(read: () => number, resolutionMs = 1): () => number {
  let cached: number | undefined;
  const expire = (): void => {
    cached = undefined;
  };
  return () => {
    if (cached !== undefined) return cached;
    cached = read();
    setTimeout(expire, resolutionMs).unref();
    return cached;
  };
}
