/**
 * The cluster-wide lease of `getOrSet`: one process computes a missing value
 * while the others wait for it instead of calling the factory too.
 *
 * The lease is a store key with a random token and a short TTL, released only
 * by its holder (compare-and-delete). A waiter sleeps until the holder
 * announces the release (bus) or a poll interval passes, then looks for the
 * value; if the holder crashed or hangs, its lease expires and a waiter takes
 * it over. A waiter never waits longer than `lock.wait`: then it computes the
 * value itself, so the lease machinery can delay a caller but never fail it.
 */

import { randomBytes } from 'node:crypto';
import type { Shared } from './cache-context.js';
import { reportError } from './cache-context.js';
import type { LeaseWaitOutcome } from './channel-payloads.js';
import { isLarderError } from './errors.js';
import { channels } from './events.js';
import { toLarderError } from './store-guard.js';

/** How a lease attempt ended. */
export type LeaseOutcome =
  /** We hold the lease and must compute (and release it). */
  | { readonly kind: 'held'; readonly release: () => Promise<void> }
  /** Another process stored the value while we waited. */
  | { readonly kind: 'value'; readonly value: unknown }
  /** Another process holds the lease and we have a stale value to serve instead. */
  | { readonly kind: 'busy' }
  /** No lease (store without leases, store failure, or the wait ran out): compute without one. */
  | { readonly kind: 'none' };

/** Polls while waiting: from the first to the last, growing 1.5x; slower when the bus wakes us. */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 100;
const BUS_POLL_MS = 200;

const NONE: LeaseOutcome = Object.freeze({ kind: 'none' });
const BUSY: LeaseOutcome = Object.freeze({ kind: 'busy' });

/** The lease key of a stored key: under `prefix#L`, which no default stored key can start with. */
export function leaseKey(shared: Shared, storedKey: string): string {
  return `${shared.options.prefix}#L${storedKey}`;
}

/**
 * Take the lease of `storedKey`, or wait for its holder's value.
 * `lookup` reads the entry and resolves its value if a fresh one is stored.
 * With `hasStale`, a busy lease is answered at once (the caller serves stale).
 */
export async function takeLease(
  shared: Shared,
  storedKey: string,
  hasStale: boolean,
  lookup: () => Promise<{ readonly value: unknown } | undefined>,
): Promise<LeaseOutcome> {
  const { store, guard, options, counters } = shared;
  const lock = options.lock;
  if (lock === undefined || store.acquireLease === undefined || store.releaseLease === undefined) return NONE;
  // A store that is failing cannot arbitrate: single flight stays in the process,
  // and no caller waits on a lease the store may never answer for.
  if (guard.state !== 'closed') return NONE;
  const key = leaseKey(shared, storedKey);
  const token = randomBytes(12).toString('base64url');
  const startedAt = options.clock.now();
  let waited = false;
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    let acquired: boolean;
    try {
      const result = guard.run('lease', () => store.acquireLease?.(key, token, lock.ttlMs) ?? false);
      acquired = result instanceof Promise ? await result : result;
    } catch (error) {
      // The store cannot arbitrate: compute without a lease (at most one call per
      // process). A SET whose reply was lost may still land and orphan the lease,
      // parking every other process's caller until its TTL: it is released (ours,
      // by token) as soon as the store answers again.
      if (!isLarderError(error, 'E_CIRCUIT_OPEN')) journalRelease(shared, key, token);
      reportError(shared, 'lease', toLarderError(error, 'lease'));
      if (waited) finishWait(shared, startedAt, 'unavailable');
      return NONE;
    }
    if (acquired) {
      const renewal = renewWhileHeld(shared, key, token, lock.ttlMs);
      const release = () => {
        clearInterval(renewal);
        return releaseLease(shared, key, token);
      };
      // The holder we waited for (or one that finished between our read and our
      // take) may have stored the value: look before computing it again.
      const found = await lookup().catch(() => undefined);
      if (found !== undefined) {
        await release();
        if (waited) finishWait(shared, startedAt, 'value');
        return { kind: 'value', value: found.value };
      }
      if (waited) {
        // The holder released without a value (its factory failed) or its lease expired.
        counters.leaseTakeovers++;
        const takeover = channels.leaseTakeover;
        if (takeover.hasSubscribers) takeover.publish({ prefix: options.prefix });
        finishWait(shared, startedAt, 'acquired');
      }
      return { kind: 'held', release };
    }
    if (hasStale) return BUSY;
    if (!waited) {
      waited = true;
      counters.leaseWaits++;
    }
    const remainingMs = startedAt + lock.waitMs - options.clock.now();
    if (remainingMs <= 0) {
      finishWait(shared, startedAt, 'timeout');
      return NONE;
    }
    await shared.waker.wait(key, Math.min(remainingMs, shared.waker.live ? BUS_POLL_MS : pollMs));
    pollMs = Math.min(pollMs * 1.5, MAX_POLL_MS);
    const found = await lookup().catch(() => undefined);
    if (found !== undefined) {
      finishWait(shared, startedAt, 'value');
      return { kind: 'value', value: found.value };
    }
  }
}

async function releaseLease(shared: Shared, key: string, token: string): Promise<void> {
  const { store, invalidationGuard } = shared;
  try {
    await invalidationGuard.run('lease', () => store.releaseLease?.(key, token) ?? false);
  } catch (error) {
    // Retried like an invalidation, so no other process waits out the lease's TTL.
    journalRelease(shared, key, token);
    reportError(shared, 'lease', toLarderError(error, 'lease'));
  }
  shared.waker.notify(key);
}

/**
 * Renew the lease every third of its TTL while the holder computes, so the TTL
 * can be short: waiters are then blocked by a dead holder, or by a lease whose
 * SET landed after its reply was lost, for one short TTL at most, while a slow
 * factory keeps its lease. A failed renewal is not retried: the lease may then
 * lapse and a waiter take over, which costs one duplicate call, never a hang.
 */
function renewWhileHeld(
  shared: Shared,
  key: string,
  token: string,
  ttlMs: number,
): NodeJS.Timeout | undefined {
  const { store, guard } = shared;
  if (store.renewLease === undefined) return undefined;
  const timer = setInterval(
    () => {
      try {
        const renewed = guard.run('lease', () => store.renewLease?.(key, token, ttlMs) ?? false);
        if (renewed instanceof Promise) renewed.catch(() => {});
      } catch {
        // The breaker is open: the lease lapses by its TTL.
      }
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return timer;
}

/** Release `key` if `token` holds it, once the store answers (a journal member without a tombstone). */
function journalRelease(shared: Shared, key: string, token: string): void {
  shared.journal.recordLease(key, token);
}
function finishWait(shared: Shared, startedAt: number, outcome: LeaseWaitOutcome): void {
  if (!channels.leaseWait.hasSubscribers) return;
  channels.leaseWait.publish({
    prefix: shared.options.prefix,
    waitedMs: shared.options.clock.now() - startedAt,
    outcome,
  });
}
