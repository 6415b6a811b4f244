/**
 * An L2 for unit tests of the tiered store: a memory store that several tiered
 * stores share (closing one does not close it), whose reads a test can hold
 * (the value is read when the call is made, as a server would, and delivered
 * when released) and which can be made to fail like an unreachable server.
 */
import { LarderError } from '../../../core/errors.js';
import type { Store, StoreTtlMs } from '../../../core/store.js';
import type { MemoryStore } from '../../memory/memory-store.js';

/** A shared, controllable L2. */
export interface ControlledStore extends Store {
  /** The memory store underneath: what "the server" holds. */
  readonly inner: MemoryStore;
  /** Hold every get/ttl reply from now until release(). */
  holdReads(): void;
  /** Deliver the held replies, in order, and stop holding. */
  releaseReads(): void;
  /** Replies currently held. */
  readonly heldReads: number;
  /** While true, every operation rejects with E_STORE. */
  failing: boolean;
  /** Calls per operation name. */
  readonly calls: Map<string, number>;
}

/** Wrap `inner` (usually `memoryStore({ clock })`). */
export function controlledStore(inner: MemoryStore): ControlledStore {
  let held: Array<() => void> | undefined;
  const calls = new Map<string, number>();

  function call<T>(name: string, run: () => T): Promise<Awaited<T>> {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    if (store.failing) return Promise.reject(new LarderError('E_STORE', `test L2: ${name} failed`));
    return Promise.resolve(run());
  }

  function read<T>(name: string, run: () => T): Promise<Awaited<T>> {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    if (store.failing) return Promise.reject(new LarderError('E_STORE', `test L2: ${name} failed`));
    const value = run(); // read now, at "the server"
    if (held === undefined) return Promise.resolve(value);
    const queue = held;
    return new Promise((resolve) => queue.push(() => resolve(value as Awaited<T>)));
  }

  const store: ControlledStore = {
    name: 'controlled',
    inner,
    failing: false,
    calls,
    get heldReads() {
      return held?.length ?? 0;
    },
    holdReads() {
      held ??= [];
    },
    releaseReads() {
      const queue = held ?? [];
      held = undefined;
      for (const resolve of queue) resolve();
    },
    get: (key) => read('get', () => inner.get(key) as Uint8Array | undefined),
    ttl: (key) => read('ttl', () => inner.ttl?.(key) as number | null | undefined),
    set: (key, value, ttlMs: StoreTtlMs) => call('set', () => inner.set(key, value, ttlMs)),
    add: (key, value, ttlMs) => call('add', () => inner.add(key, value, ttlMs)),
    delete: (key) => call('delete', () => inner.delete(key)),
    has: (key) => call('has', () => inner.has?.(key) ?? false),
    touch: (key, ttlMs) => call('touch', () => inner.touch?.(key, ttlMs) ?? false),
    incrBy: (key, delta) => call('incrBy', () => inner.incrBy?.(key, delta) ?? 0),
    clear: (prefix) => call('clear', () => inner.clear(prefix)),
    acquireLease: (key, token, ttlMs) => call('acquireLease', () => inner.acquireLease(key, token, ttlMs)),
    releaseLease: (key, token) => call('releaseLease', () => inner.releaseLease(key, token)),
    async close() {},
  };
  return store;
}
