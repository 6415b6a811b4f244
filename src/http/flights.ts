/**
 * Request collapsing with hit-for-pass, per process: concurrent misses for one
 * URL wait for one origin response when it turns out storable; when it does
 * not, they are released at once, and for a while later requests for that URL
 * go straight to the origin instead of queueing behind a page that will never
 * be stored (Varnish's hit-for-pass).
 */
import type { StoredResponse } from './stored-response.js';

/** How a flight ended for those waiting on it. */
export type FlightResult =
  | { readonly kind: 'stored'; readonly stored: StoredResponse; readonly variantKey: string }
  | { readonly kind: 'pass' };

/** One origin request that others wait for. */
export interface Flight {
  /** `fill`: a miss being fetched; `refresh`: a stored response being revalidated. */
  readonly kind: 'fill' | 'refresh';
  readonly promise: Promise<FlightResult>;
  /**
   * Release the waiters with `result`. Until `stored` settles (the write of a
   * stored result), the flight stays in the air: later requests get the
   * result at once instead of missing in a store that does not hold it yet.
   */
  settle(result: FlightResult, stored?: Promise<unknown>): void;
}

const PASS: FlightResult = Object.freeze({ kind: 'pass' });
/** Remembered hit-for-pass URLs at most; the oldest are forgotten first. */
const MAX_PASSING = 10_000;

/** The flights and hit-for-pass marks of one page cache. */
export class Flights {
  readonly #flights = new Map<string, Flight>();
  /** Landings so far: a request notes the number before it reads the store. */
  #landings = 0;
  /** The last stored result per URL, with the landing's number. */
  readonly #landed = new Map<string, { readonly landing: number; readonly result: FlightResult }>();
  readonly #passUntil = new Map<string, number>();

  /** Start the flight for `key`, or undefined when one is in the air. */
  start(key: string, kind: Flight['kind'] = 'fill'): Flight | undefined {
    if (this.#flights.has(key)) return undefined;
    let resolve!: (result: FlightResult) => void;
    const promise = new Promise<FlightResult>((r) => {
      resolve = r;
    });
    const flight: Flight = {
      kind,
      promise,
      settle: (result, stored) => {
        resolve(result);
        const land = () => {
          if (this.#flights.get(key) !== flight) return;
          this.#flights.delete(key);
          if (result.kind !== 'stored') return;
          this.#landed.delete(key);
          this.#landed.set(key, { landing: ++this.#landings, result });
          if (this.#landed.size > MAX_PASSING) {
            const oldest = this.#landed.keys().next().value;
            if (oldest !== undefined) this.#landed.delete(oldest);
          }
        };
        if (stored === undefined) land();
        else void stored.then(land, land);
      },
    };
    this.#flights.set(key, flight);
    return flight;
  }

  /** The number of landings so far: note it before reading the store (see `landedSince`). */
  landings(): number {
    return this.#landings;
  }

  /**
   * A stored result for `key` that landed after `landings` was noted: a request
   * whose store read began before that write and missed sees it here, instead
   * of starting a flight of its own (the read and the landing raced; the
   * landing falls within the request's lifetime, so answering with it is
   * answering as of a moment during the request).
   */
  landedSince(key: string, landings: number): FlightResult | undefined {
    const landed = this.#landed.get(key);
    return landed !== undefined && landed.landing > landings ? landed.result : undefined;
  }

  /** Whether a flight of `kind` for `key` is in the air. */
  flying(key: string, kind?: Flight['kind']): boolean {
    const flight = this.#flights.get(key);
    return flight !== undefined && (kind === undefined || flight.kind === kind);
  }

  /**
   * Wait for the flight for `key` at most `waitMs`; `undefined` when there is
   * none. A flight that outlasts the wait releases the waiter as a pass, so a
   * slow or hung origin response never holds other requests longer than that.
   */
  join(key: string, waitMs: number): Promise<FlightResult> | undefined {
    const flight = this.#flights.get(key);
    if (flight === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<FlightResult>((resolve) => {
      timer = setTimeout(resolve, waitMs, PASS);
      timer.unref();
    });
    return Promise.race([flight.promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Whether `key` is in its hit-for-pass period. */
  passing(key: string, nowAt: number): boolean {
    const until = this.#passUntil.get(key);
    if (until === undefined) return false;
    if (until > nowAt) return true;
    this.#passUntil.delete(key);
    return false;
  }

  /** Send requests for `key` straight to the origin until `untilAt`. */
  pass(key: string, untilAt: number): void {
    this.#passUntil.delete(key);
    this.#passUntil.set(key, untilAt);
    if (this.#passUntil.size > MAX_PASSING) {
      const oldest = this.#passUntil.keys().next().value;
      if (oldest !== undefined) this.#passUntil.delete(oldest);
    }
  }

  /** End `key`'s hit-for-pass period: its response became storable. */
  unpass(key: string): void {
    this.#passUntil.delete(key);
  }
}

/** The result that releases waiters to the origin. */
export const FLIGHT_PASS = PASS;
