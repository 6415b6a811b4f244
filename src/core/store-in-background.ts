/**
 * getOrSet's internal option for wrappers whose caller must not wait for the
 * store (larder/sql): resolve with the computed value at once and store it in
 * the background (tracked by `idle()` and `close()`). Until the store finishes,
 * callers in this process still share the run, unless an invalidation they saw
 * came after its snapshot. A value a concurrent writer stored first is kept,
 * but not returned in place of this one.
 *
 * Keyed by a symbol that no public subpath exports, so it is not part of the
 * API: only code inside this package can ask for it.
 */
import type { GetOrSetOptions } from './types.js';

/** The key of the internal option; see the top of this file. */
export const STORE_IN_BACKGROUND: unique symbol = Symbol('larder.storeInBackground');

/** `GetOrSetOptions` with the internal option. */
export interface InternalGetOrSetOptions extends GetOrSetOptions {
  /** Store the computed value in the background. @default false */
  readonly [STORE_IN_BACKGROUND]?: boolean;
}
