/**
 * A view of a store that records the TTLs core hands it, and can make chosen
 * entries of a batch write fail, without changing anything else the store does.
 */
import type { Store, StoreEntry, StoreTtlMs } from '../core/store.js';

/** A recorded store call that carried a TTL. */
export interface TtlCall {
  readonly operation: 'set' | 'add' | 'touch' | 'setMany';
  readonly key: string;
  readonly ttlMs: StoreTtlMs;
}

/** The spying store and what it saw. */
export interface StoreSpy {
  readonly store: Store;
  readonly ttlCalls: TtlCall[];
}

/**
 * Wrap `target`. Methods are forwarded bound to the target (stores may keep
 * `#private` state, which a Proxy receiver cannot reach), optional methods stay
 * absent when the target lacks them, and `close` is not forwarded: the case's
 * own store is closed by the harness.
 *
 * `failKeys`: stored keys that `setMany` reports as not stored (and does not store).
 */
export function spyStore(target: Store, failKeys: ReadonlySet<string> = new Set()): StoreSpy {
  const ttlCalls: TtlCall[] = [];
  const record = (operation: TtlCall['operation'], key: string, ttlMs: StoreTtlMs) =>
    ttlCalls.push({ operation, key, ttlMs });
  const overrides: Partial<Store> = {
    set(key, value, ttlMs) {
      record('set', key, ttlMs);
      return target.set(key, value, ttlMs);
    },
    add(key, value, ttlMs) {
      record('add', key, ttlMs);
      return target.add(key, value, ttlMs);
    },
    close: async () => {},
  };
  if (target.touch !== undefined) {
    const touch = target.touch.bind(target);
    overrides.touch = (key, ttlMs) => {
      record('touch', key, ttlMs);
      return touch(key, ttlMs);
    };
  }
  if (target.setMany !== undefined || failKeys.size > 0) {
    overrides.setMany = async (entries: readonly StoreEntry[]) => {
      for (const entry of entries) record('setMany', entry.key, entry.ttlMs);
      const kept = entries.filter((entry) => !failKeys.has(entry.key));
      let stored: boolean[];
      if (target.setMany !== undefined) {
        stored = await target.setMany(kept);
      } else {
        stored = await Promise.all(
          kept.map(async (entry) => {
            await target.set(entry.key, entry.value, entry.ttlMs);
            return true;
          }),
        );
      }
      let next = 0;
      return entries.map((entry) => (failKeys.has(entry.key) ? false : (stored[next++] ?? false)));
    };
  }
  const store = new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
    has(object, property) {
      return Object.hasOwn(overrides, property) || Reflect.has(object, property);
    },
  });
  return { store, ttlCalls };
}
