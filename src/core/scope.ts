/**
 * Key scopes: where a cache's keys live. The root scope is a fixed prefix; a
 * namespace scope adds `/name#generation` and clears in O(1) by bumping the
 * generation, which orphans every older key (they expire by TTL).
 */
import { clearKeyspace } from './cache-context.js';
import { COUNTER_MARGIN_MS, type CounterLives, counterSeed } from './counter-ttl.js';
import { encodeEntry, parseRawInteger } from './envelope.js';
import { isLarderError } from './errors.js';
import type { InvalidationJournal } from './invalidation-journal.js';
import { namespaceBase } from './keys.js';
import type { ResolvedOptions } from './options.js';
import type { StoreTtlMs } from './store.js';
import type { StoreGuard } from './store-guard.js';

/** Resolves the prefix a cache's keys are built with, and clears them. */
export interface KeyScope {
  /** The current prefix: a string for a fixed scope, a promise where a generation must be read. */
  current(): string | Promise<string>;
  /** Remove (or orphan) every key of the scope, through `guard` (invalidations have their own). */
  clear(guard: StoreGuard): Promise<void>;
  /** Journal a clear that did not reach the store; replayed through `guard`. */
  journalClear(journal: InvalidationJournal, guard: StoreGuard): void | Promise<void>;
  /**
   * Keep the scope's generation counters (a namespace's, and its parents')
   * alive at least as long as an entry stored now for `entryTtlMs`. Never rejects.
   */
  keep(entryTtlMs: StoreTtlMs): Promise<void>;
}

/** The root scope: `prefix:…` and, below it, the namespaces `prefix/…`. */
export function rootScope(options: ResolvedOptions): KeyScope {
  const { prefix } = options;
  return {
    current: () => prefix,
    clear: (guard) => clearKeyspace(options, guard),
    // The whole keyspace: what the journal's own catch-all replays.
    journalClear: (journal) => journal.recordAll(),
    keep: () => Promise.resolve(),
  };
}

/**
 * A namespace. Its generation counter lives in the store so every process sees
 * a clear at once. It expires after the keys written under it (see
 * counter-ttl.ts): created with the margin as TTL, extended by every write in
 * the namespace. A missing counter is re-created from a random seed, never from
 * 0 or the clock: a counter lost to expiry or eviction must not bring back keys
 * of an earlier generation (a clock reading could equal one, after more clears
 * than milliseconds).
 */
export function namespaceScope(
  parent: KeyScope,
  name: string,
  options: ResolvedOptions,
  guard: StoreGuard,
  lives: CounterLives,
): KeyScope {
  const { store } = options;
  namespaceBase('x', name); // validate the name now, not at first use
  // Concurrent operations share one read of the generation.
  let inflight: Promise<string> | undefined;

  async function readGeneration(base: string): Promise<number> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const bytes = await guard.run('namespace', () => store.get(base));
      if (bytes != null) return parseRawInteger(bytes);
      // Absent: create it; if another process won the race, read theirs.
      lives.forget(base);
      await guard.run('namespace', () =>
        store.add(base, encodeEntry(counterSeed(options.random), options.codec), COUNTER_MARGIN_MS),
      );
    }
    return parseRawInteger((await guard.run('namespace', () => store.get(base))) ?? new Uint8Array());
  }

  async function resolve(): Promise<string> {
    const parentPrefix = await parent.current();
    const base = namespaceBase(parentPrefix, name);
    return `${base}${await readGeneration(base)}`;
  }

  const scope: KeyScope = {
    async keep(entryTtlMs) {
      try {
        const base = namespaceBase(await parent.current(), name);
        await Promise.all([lives.keep(guard, base, entryTtlMs), parent.keep(entryTtlMs)]);
      } catch {
        // Safe to miss: a counter that expires early reads as a clear, never as old keys.
      }
    },
    current() {
      if (inflight === undefined) {
        inflight = resolve();
        const reset = () => {
          inflight = undefined;
        };
        inflight.then(reset, reset);
      }
      return inflight;
    },
    async journalClear(journal, guard) {
      // The namespace's keys all start with its base; if the parent's prefix
      // cannot be read now (a nested namespace, the store down), everything.
      let base: string;
      try {
        base = namespaceBase(await parent.current(), name);
      } catch {
        journal.recordAll();
        return;
      }
      journal.recordClear(base, () => scope.clear(guard));
    },
    async clear(guard) {
      const base = namespaceBase(await parent.current(), name);
      if (store.incrBy !== undefined) {
        try {
          await guard.run('clear', () => store.incrBy?.(base, 1) ?? 0);
          inflight = undefined;
          return;
        } catch (error) {
          if (!isLarderError(error, 'E_MISSING_KEY')) throw error;
        }
      } else {
        const bytes = await guard.run('clear', () => store.get(base));
        if (bytes != null) {
          // Without incrBy the TTL is not kept; the margin holds until the next write extends it.
          lives.forget(base);
          await guard.run('clear', () =>
            store.set(base, encodeEntry(parseRawInteger(bytes) + 1, options.codec), COUNTER_MARGIN_MS),
          );
          inflight = undefined;
          return;
        }
      }
      // No counter: any keys were written under an earlier generation, which a
      // fresh random seed differs from.
      lives.forget(base);
      await guard.run('clear', () =>
        store.set(base, encodeEntry(counterSeed(options.random), options.codec), COUNTER_MARGIN_MS),
      );
      inflight = undefined;
    },
  };
  return scope;
}
