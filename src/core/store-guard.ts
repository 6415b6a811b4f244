/**
 * The fail-fast wrapper around every store call: the circuit breaker decides
 * whether to call at all, the shared deadline bounds how long a call may take,
 * and failures are classified once into stable error codes.
 */
import { type BreakerState, CircuitBreaker } from './circuit-breaker.js';
import { DeadlineQueue, type Settled } from './deadline-queue.js';
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
  stallTimeouts: number;
  staleServed: number;
  factoryCalls: number;
  factoryErrors: number;
  coalesced: number;
  leaseWaits: number;
  leaseTakeovers: number;
}

/** Counters that start at zero. */
export function zeroCounters(): Counters {
  return {
    hits: 0,
    misses: 0,
    sets: 0,
    deletes: 0,
    errors: 0,
    shortCircuited: 0,
    timeouts: 0,
    stallTimeouts: 0,
    staleServed: 0,
    factoryCalls: 0,
    factoryErrors: 0,
    coalesced: 0,
    leaseWaits: 0,
    leaseTakeovers: 0,
  };
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

/** What a guard may be given besides its options. */
export interface GuardHooks {
  /** What the guard's breaker protects, in `larder:breaker` events. @default 'operations' */
  readonly guards?: 'operations' | 'invalidations';
  readonly onStateChange?: (state: BreakerState) => void;
  readonly deadlines?: DeadlineQueue;
}

/** Breaker + deadline + classification for one store. */
export class StoreGuard {
  readonly #breaker: CircuitBreaker | undefined;
  readonly #deadlines: DeadlineQueue;
  readonly #counters: Counters;
  /** One bound function for every call, instead of a closure per call. */
  readonly #settle: Settled;
  /** The same for the half-open probe, which must free its slot when its outcome is neutral. */
  readonly #settleProbe: Settled;
  /** The failure that most recently counted against the store: the cause of E_CIRCUIT_OPEN. */
  #lastFailure: unknown;
  readonly #store: Store;

  /**
   * `onStateChange` hears every breaker state change (the journal replays when
   * it closes); `deadlines` is injectable for tests (by default one queue of
   * `options.storeTimeoutMs`).
   */
  constructor(
    options: ResolvedOptions,
    counters: Counters,
    { guards = 'operations', onStateChange, deadlines }: GuardHooks = {},
  ) {
    this.#counters = counters;
    this.#deadlines = deadlines ?? new DeadlineQueue(options.storeTimeoutMs);
    const breaker =
      options.breaker === undefined
        ? undefined
        : new CircuitBreaker(options.breaker.failureThreshold, options.breaker.openMs, options.clock);
    if (breaker !== undefined) {
      breaker.onChange = (state) => {
        onStateChange?.(state);
        if (breakerChannel.hasSubscribers)
          breakerChannel.publish({ prefix: options.prefix, store: options.store.name, guards, state });
      };
    }
    this.#breaker = breaker;
    this.#settle = (error, operation, stalled) => this.#settled(error, operation, stalled === true, false);
    this.#settleProbe = (error, operation, stalled) =>
      this.#settled(error, operation, stalled === true, true);
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
   *
   * Only an asynchronous outcome is evidence about the store's health. A
   * synchronous answer comes from this process (a memory store, a tiered
   * store's L1) and is neutral: it neither closes nor opens the breaker, and
   * when it was the half-open probe it frees the probe slot, so that the next
   * asynchronous call probes. (A synchronous `E_STORE` is the store saying it
   * cannot reach its server, and still counts as a failure.)
   */
  run<T>(operation: string, call: () => MaybePromise<T>): MaybePromise<T> {
    const breaker = this.#breaker;
    let probe = false;
    if (breaker !== undefined) {
      if (!breaker.allow()) throw this.#refused(operation);
      probe = breaker.probing;
    }
    let result: MaybePromise<T>;
    try {
      result = call();
    } catch (error) {
      throw this.#thrown(error, operation, probe);
    }
    if (!(result instanceof Promise)) {
      if (probe) breaker?.release();
      return result;
    }
    return this.#deadlines.race(result, operation, probe ? this.#settleProbe : this.#settle);
  }

  /**
   * `run('get', () => store.get(key, hints))` without the closure: the read
   * path of every hit, where one allocation per call is measurable.
   */
  get(key: string, hints: StoreHints | undefined): MaybePromise<Uint8Array | null | undefined> {
    const breaker = this.#breaker;
    let probe = false;
    if (breaker !== undefined) {
      if (!breaker.allow()) throw this.#refused('get');
      probe = breaker.probing;
    }
    let result: MaybePromise<Uint8Array | null | undefined>;
    try {
      result = this.#store.get(key, hints);
    } catch (error) {
      throw this.#thrown(error, 'get', probe);
    }
    if (!(result instanceof Promise)) {
      if (probe) breaker?.release();
      return result;
    }
    return this.#deadlines.race(result, 'get', probe ? this.#settleProbe : this.#settle);
  }

  /** Stop the deadline timer. */
  close(): void {
    this.#deadlines.close();
  }

  /** Count a call the open breaker refused, and the error to throw for it. */
  #refused(operation: string): LarderError {
    this.#counters.shortCircuited++;
    return new LarderError(
      'E_CIRCUIT_OPEN',
      `${operation} skipped: the circuit breaker is open after repeated store failures`,
      { cause: this.#lastFailure },
    );
  }

  /** A store method threw synchronously: only an unhealthy failure counts (see `run`). */
  #thrown(error: unknown, operation: string, probe: boolean): LarderError {
    const classified = this.#classify(error, operation);
    if (UNHEALTHY.has(classified.code)) this.#record(classified);
    else if (probe) this.#breaker?.release();
    return classified;
  }

  /** An asynchronous call settled (see DeadlineQueue.race); returns the error to reject with. */
  #settled(error: unknown, operation: string, stalled: boolean, probe: boolean): unknown {
    if (error === undefined) {
      this.#breaker?.success();
      return undefined;
    }
    if (stalled) {
      // Our own loop was blocked past the deadline: the caller still gets its
      // E_TIMEOUT, but the store is not to blame.
      this.#counters.stallTimeouts++;
      if (probe) this.#breaker?.release();
      return error;
    }
    const classified = this.#classify(error, operation);
    this.#record(classified);
    return classified;
  }

  /** An outcome from the store: unhealthy failures count toward the breaker, answers reset it. */
  #record(error: LarderError): void {
    const code = error.code;
    if (code === 'E_TIMEOUT') this.#counters.timeouts++;
    if (!UNHEALTHY.has(code)) {
      this.#breaker?.success();
      return;
    }
    this.#lastFailure = error;
    this.#breaker?.failure();
    if (this.#store.noteFailure !== undefined) {
      try {
        this.#store.noteFailure(error);
      } catch {
        // A throwing hook must not turn a classified failure into another one.
      }
    }
  }
}
