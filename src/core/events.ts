/**
 * Typed events of one cache, and the process-wide diagnostics channels that
 * exporters (metrics, tracing, the dashboard) subscribe to from outside.
 */
import diagnostics from 'node:diagnostics_channel';
import type { CacheEvents } from './types.js';

/** Diagnostics channel names; payloads carry no raw keys. */
export const CHANNELS = Object.freeze({
  /** A store failure or a decode error: `{ prefix, operation, code, error }`. */
  error: 'larder:error',
  /** The circuit breaker changed state: `{ prefix, store, state }`. */
  breaker: 'larder:breaker',
});

const errorChannel = diagnostics.channel(CHANNELS.error);
/** Publishes breaker state changes. */
export const breakerChannel = diagnostics.channel(CHANNELS.breaker);

type Listener<E extends keyof CacheEvents> = (payload: CacheEvents[E]) => void;

/** A minimal typed emitter: no listener means no work, and a throwing listener never breaks the cache. */
export class CacheEventHub {
  readonly #listeners = new Map<keyof CacheEvents, Set<Listener<keyof CacheEvents>>>();
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** Add a listener; returns the function that removes it. */
  on<E extends keyof CacheEvents>(event: E, listener: Listener<E>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener as Listener<keyof CacheEvents>);
    return () => set.delete(listener as Listener<keyof CacheEvents>);
  }

  /** Deliver an error event to listeners and to the `larder:error` channel. */
  error(payload: CacheEvents['error']): void {
    if (errorChannel.hasSubscribers) errorChannel.publish({ prefix: this.#prefix, ...payload });
    const set = this.#listeners.get('error');
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch {
        // A listener's own bug must not turn a degraded miss into a failure.
      }
    }
  }
}
