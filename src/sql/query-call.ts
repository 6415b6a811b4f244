/**
 * The arguments of `query()` as node-postgres accepts them — `(text)`,
 * `(text, values)`, `(config)`, `(config, values)`, with or without a callback
 * last, or a Submittable (pg-cursor, pg-query-stream) — normalized once.
 */
import type { CustomTypesConfig, QueryConfig, QueryResult, Submittable } from 'pg';
import type { QueryCacheOptions } from './sql-options.js';

/** A node-style query callback. */
export type QueryCallback = (error: Error | null | undefined, result?: QueryResult) => void;

/** A query config as the wrapper accepts it: node-postgres's, plus per-query cache options. */
export interface CachedQueryConfig extends QueryConfig {
  readonly rowMode?: 'array' | undefined;
  readonly binary?: boolean | undefined;
  /** Fetch size of a portal: the result comes in parts, so it is never cached. */
  readonly rows?: number | undefined;
  readonly callback?: QueryCallback | undefined;
  /** Per-query cache options. */
  readonly larder?: QueryCacheOptions | undefined;
}

/** One normalized query. */
export interface QueryCall {
  /** What node-postgres is given: the caller's config, values merged, without `callback` and `larder`. */
  readonly config: QueryConfig & Record<string, unknown>;
  readonly text: string | undefined;
  readonly values: readonly unknown[] | undefined;
  readonly rowMode: string | undefined;
  readonly types: CustomTypesConfig | undefined;
  readonly larder: QueryCacheOptions | undefined;
  readonly callback: QueryCallback | undefined;
  /** Binary format or a portal fetch size: passed through. */
  readonly unusual: 'binary' | 'streaming' | undefined;
}

/** A query, or a Submittable that goes to the connection untouched. */
export type QueryInput =
  | { readonly kind: 'submittable'; readonly submittable: Submittable }
  | { readonly kind: 'query'; readonly call: QueryCall };

/** True for pg-cursor, pg-query-stream and other objects node-postgres submits as they are. */
export function isSubmittable(value: unknown): value is Submittable {
  return typeof value === 'object' && value !== null && typeof (value as Submittable).submit === 'function';
}

/** Normalize `query()`'s arguments. Throws a TypeError where node-postgres does. */
export function parseQueryArgs(config: unknown, values?: unknown, callback?: unknown): QueryInput {
  if (config === null || config === undefined) {
    throw new TypeError('Client was passed a null or undefined query');
  }
  if (isSubmittable(config)) return { kind: 'submittable', submittable: config };
  if (typeof config === 'string') return textQuery(config, values, callback);
  const given = clone(config as Record<string, unknown>);
  let done = typeof given.callback === 'function' ? (given.callback as QueryCallback) : undefined;
  if (typeof values === 'function') done = values as QueryCallback;
  else if (values !== undefined && values !== null) given.values = values;
  if (typeof callback === 'function') done = callback as QueryCallback;
  else if (callback !== undefined) throw new TypeError('callback is not a function');
  const larder = given.larder as QueryCacheOptions | undefined;
  delete given.callback;
  delete given.larder;
  const unusual =
    given.binary === true
      ? 'binary'
      : typeof given.rows === 'number' && given.rows > 0
        ? 'streaming'
        : undefined;
  return {
    kind: 'query',
    call: {
      config: given as QueryConfig & Record<string, unknown>,
      text: typeof given.text === 'string' ? given.text : undefined,
      values: Array.isArray(given.values) ? (given.values as unknown[]) : undefined,
      rowMode: typeof given.rowMode === 'string' ? given.rowMode : undefined,
      types: given.types as CustomTypesConfig | undefined,
      larder,
      callback: done,
      unusual,
    },
  };
}

/**
 * The common `(text[, values][, callback])` form, as an object literal: a copy
 * by property descriptors makes a slow object that every later spread (ours,
 * and node-postgres's own copy of the config) pays for.
 */
function textQuery(text: string, values: unknown, callback: unknown): QueryInput {
  let done: QueryCallback | undefined;
  let given: readonly unknown[] | undefined;
  if (typeof values === 'function') done = values as QueryCallback;
  else if (values !== undefined && values !== null) given = values as readonly unknown[];
  if (typeof callback === 'function') done = callback as QueryCallback;
  else if (callback !== undefined) throw new TypeError('callback is not a function');
  return {
    kind: 'query',
    call: {
      config: given === undefined ? { text } : { text, values: given as unknown[] },
      text,
      values: Array.isArray(given) ? given : undefined,
      rowMode: undefined,
      types: undefined,
      larder: undefined,
      callback: done,
      unusual: undefined,
    },
  };
}

/** A copy that keeps the prototype and accessors, as node-postgres copies a config. */
function clone(config: Record<string, unknown>): Record<string, unknown> {
  return Object.defineProperties(
    Object.create(Object.getPrototypeOf(config) as object | null) as Record<string, unknown>,
    Object.getOwnPropertyDescriptors(config),
  );
}

/** Settle a promise into a node-style callback, asynchronously, so a throwing callback cannot reject anything. */
export function toCallback(promise: Promise<QueryResult>, callback: QueryCallback): void {
  promise.then(
    (result) => queueMicrotask(() => callback(null, result)),
    (error: unknown) => queueMicrotask(() => callback(error as Error)),
  );
}
