/** Test helper: a store call whose client errors are mapped as core maps them. */

/**
 * `call`, with a rejection passed through `store.mapError`: what core sees for
 * store methods that return their client's promise untouched (Redis `get`).
 */
export function mapped<T>(store: { mapError(error: unknown): Error }, call: Promise<T>): Promise<T> {
  return call.catch((error: unknown) => {
    throw store.mapError(error);
  });
}
