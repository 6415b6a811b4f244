/**
 * The fail-fast wrapper around every store call: the circuit breaker decides
 * whether to call at all, the shared deadline bounds how long a call may take,
 * and failures are classified once into stable error codes.
 */
import { type BreakerState, CircuitBreaker } from './circuit-breaker.js';
import { DeadlineQueue } from './deadline-queue.js';
import { type ErrorCode, LarderError } from './errors.js';
import { breakerChannel } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { MaybePromise, Store, StoreHints } from './store.js';

/** Mutable counters shared by a cache and its namespaces. */
export interface Counters {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  errors: number;
  shortCircuited: number;
  timeouts: number;
  staleServed: number;
  factoryCalls: number;
  factoryErrors: number;
  coalesced: number;
  leaseWaits: number;
  leaseTakeovers: number;
}

// Only these say "the store is unreachable or unresponsive"; OOM, WRONGTYPE or a
// missing key are answers from a healthy server and must not open the breaker.
const UNHEALTHY: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E_TIMEOUT', 'E_STORE']);

/** Wrap any thrown value into a LarderError (`E_STORE` unless it already has a code). */
export function toLarderError(error: unknown, operation: string): LarderError {
  if (error instanceof LarderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new LarderError('E_STORE', `${operation} failed: ${message}`, { cause: error });
}

/** Breaker + deadline + classification for one store. */
export class StoreGuard {
  readonly #breaker: CircuitBreaker | undefined;
  readonly #deadlines: DeadlineQueue;
  readonly #counters: Counters;
  readonly #settle: (error: unknown, operation: string) => unknown;
  /** The failure that most recently counted against the store: the cause of E_CIRCUIT_OPEN. */
  #lastFailure: unknown;
  readonly #store: Store;

  /** `onStateChange` hears every breaker state change (the journal replays when it closes). */
  constructor(options: ResolvedOptions, counters: Counters, onStateChange?: (state: BreakerState) => void) {
    this.#counters = counters;
    this.#deadlines = new DeadlineQueue(options.timeoutMs);
    const breaker =
      options.breaker === undefined
        ? undefined
        : new CircuitBreaker(options.breaker.failureThreshold, options.breaker.openMs, options.clock);
    if (breaker !== undefined) {
      breaker.onChange = (state) => {
        onStateChange?.(state);
        if (breakerChannel.hasSubscribers)
          breakerChannel.publish({ prefix: options.prefix, store: options.store.name, state });
      };
    }
    this.#breaker = breaker;
    // One bound function for every call, instead of a closure per call.
    this.#settle = (error, operation) => {
      if (error === undefined) {
        this.#record(undefined);
        return undefined;
      }
      const classified = this.#classify(error, operation);
      this.#record(classified);
      return classified;
    };
    this.#store = options.store;
  }

  /** A LarderError for any failure: the store's own mapping first, else `E_STORE`. */
  #classify(error: unknown, operation: string): LarderError {
    if (error instanceof LarderError) return error;
    if (this.#store.mapError !== undefined) {
      try {
        return this.#store.mapError(error);
      } catch {
        // A broken mapper must not hide the original failure.
      }
    }
    return toLarderError(error, operation);
  }

  /** The breaker's state (`closed` when there is no breaker). */
  get state(): BreakerState {
    return this.#breaker?.state ?? 'closed';
  }

  /**
   * Call the store. Synchronous stores (memory) return synchronously; a promise
   * gets the shared deadline. Every failure comes out as a LarderError.
   */
  run<T>(operation: string, call: () => MaybePromise<T>): MaybePromise<T> {
    const breaker = this.#breaker;
    if (breaker !== undefined && !breaker.allow()) {
      this.#counters.shortCircuited++;
      throw new LarderError(
        'E_CIRCUIT_OPEN',
        `${operation} skipped: the circuit breaker is open after repeated store failures`,
        { cause: this.#lastFailure },
      );
    }
    let result: MaybePromise<T>;
    try {
      result = call();
    } catch (error) {
      const classified = this.#classify(error, operation);
      this.#record(classified);
      throw classified;
    }
    if (!(result instanceof Promise)) {
      breaker?.success();
      return result;
    }
    return this.#deadlines.race(result, operation, this.#settle);
  }

  /**
   * `run('get', () => store.get(key, hints))` without the closure: the read
   * path of every hit, where one allocation per call is measurable.
   */
  get(key: string, hints: StoreHints | undefined): MaybePromise<Uint8Array | null | undefined> {
    const breaker = this.#breaker;
    if (breaker !== undefined && !breaker.allow()) return this.run('get', () => null);
    let result: MaybePromise<Uint8Array | null | undefined>;
    try {
      result = this.#store.get(key, hints);
    } catch (error) {
      const classified = this.#classify(error, 'get');
      this.#record(classified);
      throw classified;
    }
    if (!(result instanceof Promise)) {
      breaker?.success();
      return result;
    }
    return this.#deadlines.race(result, 'get', this.#settle);
  }

  /** Stop the deadline timer. */
  close(): void {
    this.#deadlines.close();
  }

  #record(error: unknown): void {
    if (error === undefined) {
      this.#breaker?.success();
      return;
    }
    const code = error instanceof LarderError ? error.code : 'E_STORE';
    if (code === 'E_TIMEOUT') this.#counters.timeouts++;
    if (UNHEALTHY.has(code)) {
      this.#lastFailure = error;
      this.#breaker?.failure();
    } else {
      this.#breaker?.success();
    }
  }
}
