/**
 * Typed events of one cache, and the process-wide diagnostics channels that
 * exporters (metrics, tracing, the dashboard) subscribe to from outside.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ChannelPayloads } from './channel-payloads.js';
import type { CacheEvents } from './types.js';

/**
 * Diagnostics channel names. What each publishes is `ChannelPayloads[name]`
 * (channel-payloads.ts); payloads carry no raw keys.
 */
export const CHANNELS = Object.freeze({
  /** A store failure or a decode error. */
  error: 'larder:error',
  /** A circuit breaker changed state. */
  breaker: 'larder:breaker',
  /** A read found a fresh value, once per key read by `get`, `getMany`, `getOrSet` or `has` (see read-entry.ts). */
  hit: 'larder:hit',
  /** A read found nothing fresh, once per key as for `hit`, with the reason. */
  miss: 'larder:miss',
  /** `getOrSet` answered with a stale value, with the reason. */
  staleServed: 'larder:stale-served',
  /** A factory run finished. */
  refresh: 'larder:refresh',
  /** A `getOrSet` call joined a factory run already in flight in this process. */
  coalesced: 'larder:coalesced',
  /** A `getOrSet` call waited for another process's lease. */
  leaseWait: 'larder:lease-wait',
  /** A lease was taken after its holder's expired without a value. */
  leaseTakeover: 'larder:lease-takeover',
  /** Tags were invalidated (a count, never the names). */
  invalidate: 'larder:invalidate',
  /** A tiered store received a bus message. */
  busLag: 'larder:bus-lag',
} as const satisfies Readonly<Record<string, keyof ChannelPayloads>>);

/**
 * A diagnostics channel that publishes only the payload of its name. Callers
 * check `hasSubscribers` before they build a payload (no allocation, no
 * closure when nobody listens); `publish` then type-checks it, so a field the
 * channel does not publish (a raw key, say) is an error.
 */
export interface PayloadChannel<P> {
  readonly hasSubscribers: boolean;
  // A property, not a method: methods are bivariant, which would let a wider payload through.
  readonly publish: (payload: P) => void;
}

/** The channel named `name`, its publish type-checked against `ChannelPayloads`. */
function payloadChannel<N extends keyof ChannelPayloads>(name: N): PayloadChannel<ChannelPayloads[N]> {
  return diagnostics.channel(name);
}

const errorChannel = payloadChannel(CHANNELS.error);
/** Publishes breaker state changes. */
export const breakerChannel = payloadChannel(CHANNELS.breaker);
/** The freshness channels, created once (a lookup per publish would cost on hot paths). */
export const channels = Object.freeze({
  hit: payloadChannel(CHANNELS.hit),
  miss: payloadChannel(CHANNELS.miss),
  staleServed: payloadChannel(CHANNELS.staleServed),
  refresh: payloadChannel(CHANNELS.refresh),
  coalesced: payloadChannel(CHANNELS.coalesced),
  leaseWait: payloadChannel(CHANNELS.leaseWait),
  leaseTakeover: payloadChannel(CHANNELS.leaseTakeover),
  invalidate: payloadChannel(CHANNELS.invalidate),
  busLag: payloadChannel(CHANNELS.busLag),
});

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
