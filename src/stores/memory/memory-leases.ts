/**
 * The leases of the in-process store, kept apart from its LRU: a lease is never
 * evicted to make room, never counted as an entry, and never removed by
 * `clear(prefix)`. It ends when its holder releases it or its TTL runs out.
 */
import { invalidOption } from '../../core/invalid-option.js';
import type { Clock } from '../../core/types.js';

/** Who holds which lease, until when. */
export interface MemoryLeases {
  /** Take `key` for `ttlMs` unless someone holds it; true when taken. */
  acquire(key: string, token: string, ttlMs: number): boolean;
  /** Release `key` if `token` still holds it; true when released. */
  release(key: string, token: string): boolean;
  /** Give `key` a new TTL if `token` still holds it; true when renewed. */
  renew(key: string, token: string, ttlMs: number): boolean;
  /** Leases held, expired ones not yet swept included. */
  readonly size: number;
  /** Drop every lease. */
  clear(): void;
}

interface Lease {
  readonly token: string;
  readonly expiresAt: number;
}

// Expired leases are dropped when touched; one nobody touches again (its holder
// failed before releasing) waits for a sweep, run once the table has doubled.
const FIRST_SWEEP_AT = 1024;

/**
 * Create the lease table of one memory store, on the store's clock.
 * @example
 * const leases = memoryLeases({ now: Date.now });
 * if (leases.acquire('app#Lreport', token, 10_000)) { ...; leases.release('app#Lreport', token); }
 */
export function memoryLeases(clock: Clock): MemoryLeases {
  const leases = new Map<string, Lease>();
  let sweepAt = FIRST_SWEEP_AT;

  function sweep(now: number): void {
    for (const [key, lease] of leases) if (lease.expiresAt <= now) leases.delete(key);
    sweepAt = Math.max(FIRST_SWEEP_AT, leases.size * 2);
  }

  function checkTtl(method: string, ttlMs: number): void {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0))
      throw invalidOption('ttlMs', 'a positive finite number', ttlMs, `memoryStore.${method}`);
  }

  return {
    acquire(key, token, ttlMs) {
      checkTtl('acquireLease', ttlMs);
      const now = clock.now();
      const held = leases.get(key);
      if (held !== undefined && held.expiresAt > now) return false;
      if (leases.size >= sweepAt) sweep(now);
      leases.set(key, { token, expiresAt: now + ttlMs });
      return true;
    },
    release(key, token) {
      const held = leases.get(key);
      if (held === undefined) return false;
      if (held.expiresAt <= clock.now()) {
        leases.delete(key);
        return false;
      }
      if (held.token !== token) return false;
      leases.delete(key);
      return true;
    },
    renew(key, token, ttlMs) {
      checkTtl('renewLease', ttlMs);
      const now = clock.now();
      const held = leases.get(key);
      if (held === undefined || held.expiresAt <= now || held.token !== token) return false;
      leases.set(key, { token, expiresAt: now + ttlMs });
      return true;
    },
    get size() {
      return leases.size;
    },
    clear() {
      leases.clear();
      sweepAt = FIRST_SWEEP_AT;
    },
  };
}
