/**
 * The option checks every module uses (core, stores, SQL, CDC, the
 * conformance suite), so that each `E_INVALID_OPTION` reads the same way
 * (invalid-option.ts) and a duration means the same thing everywhere: a
 * `Duration` resolved here, once, to whole milliseconds.
 */
import { parseDuration } from './duration.js';
import type { LarderError } from './errors.js';
import { invalidOption } from './invalid-option.js';
import type { Duration } from './types.js';

/** Checks whose errors name `scope` (the function the options were given to). */
export interface OptionChecks {
  /** The error for `path` holding `got` where `expected` was wanted (`cause`: why, if an error said). */
  invalid(path: string, expected: string, got: unknown, cause?: unknown): LarderError;
  /** A safe integer of at least `min`. */
  integer(path: string, value: unknown, min?: number): number;
  /** A finite number above zero. */
  positive(path: string, value: unknown): number;
  /**
   * A duration (ms, or a string such as `'2s'`) in whole milliseconds (a
   * fraction rounds up), from `min` to `max` ms; `fallback` when undefined.
   */
  duration(path: string, value: Duration | undefined, fallback: number, min?: number, max?: number): number;
  /** One of `allowed`. */
  oneOf<const T extends readonly string[]>(path: string, value: unknown, allowed: T): T[number];
  /** `true` or `false`; `fallback` when undefined. */
  flag(path: string, value: unknown, fallback: boolean): boolean;
  /** A function (`expected` says which). */
  callable<F extends (...args: never[]) => unknown>(path: string, value: unknown, expected: string): F;
}

/**
 * The checks for options given to `scope` (`'redisStore'`, `'createCache'`…),
 * or to a single call when `scope` is undefined.
 */
export function optionChecks(scope?: string): OptionChecks {
  const invalid = (path: string, expected: string, got: unknown, cause?: unknown): LarderError =>
    invalidOption(path, expected, got, scope, cause);
  return Object.freeze({
    invalid,
    integer(path: string, value: unknown, min = Number.MIN_SAFE_INTEGER): number {
      if (!Number.isSafeInteger(value) || (value as number) < min)
        throw invalid(path, min > Number.MIN_SAFE_INTEGER ? `an integer >= ${min}` : 'an integer', value);
      return value as number;
    },
    positive(path: string, value: unknown): number {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
        throw invalid(path, 'a positive finite number', value);
      return value;
    },
    duration(
      path: string,
      value: Duration | undefined,
      fallback: number,
      min = 0,
      max = Number.MAX_SAFE_INTEGER,
    ): number {
      if (value === undefined) return fallback;
      const ms = parseDuration(value);
      if (ms === undefined) throw invalid(path, "a duration (ms, or a string such as '30s', '5m')", value);
      if (!(ms >= min) || !Number.isFinite(ms) || ms > max)
        throw invalid(
          path,
          max === Number.MAX_SAFE_INTEGER
            ? `a duration of at least ${min} ms`
            : `a duration from ${min} to ${max} ms`,
          value,
        );
      return Math.ceil(ms);
    },
    oneOf<const T extends readonly string[]>(path: string, value: unknown, allowed: T): T[number] {
      if (!allowed.includes(value as string))
        throw invalid(path, allowed.map((a) => `'${a}'`).join(' or '), value);
      return value as T[number];
    },
    flag(path: string, value: unknown, fallback: boolean): boolean {
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean') throw invalid(path, 'true or false', value);
      return value;
    },
    callable<F extends (...args: never[]) => unknown>(path: string, value: unknown, expected: string): F {
      if (typeof value !== 'function') throw invalid(path, expected, value);
      return value as F;
    },
  });
}
