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
  /** A circuit breaker changed state: `{ prefix, store, guards: 'operations' | 'invalidations', state }`. */
  breaker: 'larder:breaker',
  /**
   * A read found a fresh value: `{ prefix, operation }`, once per key read by
   * `get`, `getMany`, `getOrSet` or `has` (see read-entry.ts).
   */
  hit: 'larder:hit',
  /**
   * A read found nothing fresh, once per key as for `hit`:
   * `{ prefix, operation, reason: 'absent' | 'stale' | 'invalidated' | 'corrupt' | 'unavailable' }`
   * (`invalidated` covers tags and journaled invalidations not yet stored;
   * `stale` entries may still be served by `getOrSet`).
   */
  miss: 'larder:miss',
  /**
   * `getOrSet` answered with a stale value:
   * `{ prefix, reason: 'grace' | 'fail-safe' | 'soft-timeout' | 'hard-timeout' | 'lease-held' }`.
   */
  staleServed: 'larder:stale-served',
  /**
   * A factory run finished: `{ prefix, trigger: 'miss' | 'stale' | 'early', durationMs, ok, stored }`.
   */
  refresh: 'larder:refresh',
  /** A `getOrSet` call joined a factory run already in flight in this process: `{ prefix }`. */
  coalesced: 'larder:coalesced',
  /**
   * A `getOrSet` call waited for another process's lease:
   * `{ prefix, waitedMs, outcome: 'value' | 'acquired' | 'timeout' | 'unavailable' }`.
   */
  leaseWait: 'larder:lease-wait',
  /** A lease was taken after its holder's expired without a value: `{ prefix }`. */
  leaseTakeover: 'larder:lease-takeover',
  /** Tags were invalidated: `{ prefix, tags: number, ok }` (a count, never the names). */
  invalidate: 'larder:invalidate',
  /** A tiered store received a bus message: `{ channel, lagMs }`. */
  busLag: 'larder:bus-lag',
});

const errorChannel = diagnostics.channel(CHANNELS.error);
/** Publishes breaker state changes. */
export const breakerChannel = diagnostics.channel(CHANNELS.breaker);
/** The freshness channels, created once (a lookup per publish would cost on hot paths). */
export const channels = Object.freeze({
  hit: diagnostics.channel(CHANNELS.hit),
  miss: diagnostics.channel(CHANNELS.miss),
  staleServed: diagnostics.channel(CHANNELS.staleServed),
  refresh: diagnostics.channel(CHANNELS.refresh),
  coalesced: diagnostics.channel(CHANNELS.coalesced),
  leaseWait: diagnostics.channel(CHANNELS.leaseWait),
  leaseTakeover: diagnostics.channel(CHANNELS.leaseTakeover),
  invalidate: diagnostics.channel(CHANNELS.invalidate),
  busLag: diagnostics.channel(CHANNELS.busLag),
});

/** Publish on a channel only when someone listens (the check costs a field read). */
export function emit(channel: diagnostics.Channel, payload: () => object): void {
  if (channel.hasSubscribers) channel.publish(payload());
}

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
