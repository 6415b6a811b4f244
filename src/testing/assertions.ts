/** Assertions the conformance cases share. */
import assert from 'node:assert/strict';

/**
 * Assert that `promise` rejects with a Larder error of `code`. Checked by the
 * `code` property, not by `instanceof`, so that a store built against another
 * copy of the package still passes.
 */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: string,
  message?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    const actual = (error as { code?: unknown } | null)?.code;
    assert.equal(
      actual,
      code,
      `${message ?? 'expected a rejection'} with code ${code}, got ${String(actual)}: ${String(error)}`,
    );
    return true;
  });
}

/** Assert `actual` lies in `[min, max]`. */
export function assertBetween(actual: unknown, min: number, max: number, message: string): void {
  assert.equal(typeof actual, 'number', `${message}: expected a number, got ${String(actual)}`);
  const value = actual as number;
  assert.ok(value >= min && value <= max, `${message}: expected ${min}..${max}, got ${value}`);
}

/**
 * Assert that a TTL reported by `ttl()` is at most `expectedMs` and not more than
 * `slackMs` below it (time passes between the write and the read).
 */
export function assertTtlNear(actual: unknown, expectedMs: number, message: string, slackMs = 5_000): void {
  assertBetween(actual, Math.max(1, expectedMs - slackMs), expectedMs, message);
}

/** Assert `actual` is a byte array with the same bytes as `expected` (Buffer and Uint8Array alike). */
export function assertSameBytes(actual: unknown, expected: Uint8Array, message: string): void {
  assert.ok(
    actual instanceof Uint8Array,
    `${message}: expected a Uint8Array, got ${Object.prototype.toString.call(actual)}`,
  );
  assert.ok(
    Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
      Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
    ),
    `${message}: the bytes differ`,
  );
}
