/**
 * The writes a tiered store sends to L2, as data (`StoreWrite`): what keys each
 * one changes, whether its result means other processes must hear of it, and
 * how to run it on an L2 that cannot publish with it (`writeAndPublish`).
 */
import type { MaybePromise, Store, StoreEntry, StoreWrite } from '../../core/store.js';

/** The keys `write` may change, in order. */
export function keysOf(write: StoreWrite): readonly string[] {
  switch (write.op) {
    case 'setMany':
      return write.entries.map((entry) => entry.key);
    case 'deleteMany':
      return write.keys;
    default:
      return [write.key];
  }
}

/**
 * Whether a write that answered `result` may have changed L2, so that other
 * processes must drop their copies: not an `add` that found the key, nor a
 * `touch` of a missing key, nor a `compareAndSet` that found other bytes.
 * The same rule `writeAndPublish` applies.
 */
export function announces(write: StoreWrite, result: unknown): boolean {
  if (write.op === 'add') return result === 'stored';
  if (write.op === 'touch' || write.op === 'compareAndSet') return result === true;
  return true;
}

function missing(op: string): never {
  // The tiered store offers touch, incrBy and compareAndSet only when L2 has them.
  throw new TypeError(`tieredStore: the L2 store has no ${op}`);
}

/** Run `write` with L2's plain methods (the batch ones emulated when L2 lacks them). */
export function writeL2(l2: Store, write: StoreWrite): MaybePromise<unknown> {
  switch (write.op) {
    case 'set':
      return l2.set(write.key, write.value, write.ttlMs);
    case 'add':
      return l2.add(write.key, write.value, write.ttlMs);
    case 'delete':
      return l2.delete(write.key);
    case 'incrBy':
      return l2.incrBy === undefined ? missing('incrBy') : l2.incrBy(write.key, write.delta);
    case 'touch':
      return l2.touch === undefined ? missing('touch') : l2.touch(write.key, write.ttlMs);
    case 'setMany':
      return setMany(l2, write.entries);
    case 'deleteMany':
      return deleteMany(l2, write.keys);
    case 'compareAndSet':
      return l2.compareAndSet === undefined
        ? missing('compareAndSet')
        : l2.compareAndSet(write.key, write.expected, write.value, write.ttlMs);
  }
}

async function setMany(l2: Store, entries: readonly StoreEntry[]): Promise<boolean[]> {
  if (l2.setMany !== undefined) return l2.setMany(entries);
  await Promise.all(entries.map((entry) => l2.set(entry.key, entry.value, entry.ttlMs)));
  return entries.map(() => true);
}

async function deleteMany(l2: Store, keys: readonly string[]): Promise<number> {
  if (l2.deleteMany !== undefined) return l2.deleteMany(keys);
  const existed = await Promise.all(keys.map((key) => l2.delete(key)));
  return existed.filter(Boolean).length;
}
