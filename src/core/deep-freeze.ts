/** Freezing values that several readers share. */

/**
 * Freeze plain objects and arrays all the way down. Maps, Sets, Dates and byte
 * arrays cannot be frozen by JavaScript (their methods still mutate them); they
 * are left as they are, which docs/serialization.md states.
 */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  if (ArrayBuffer.isView(value)) return;
  if (value instanceof Map) {
    for (const [key, item] of value) {
      deepFreeze(key);
      deepFreeze(item);
    }
    return;
  }
  if (value instanceof Set) {
    for (const item of value) deepFreeze(item);
    return;
  }
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}
