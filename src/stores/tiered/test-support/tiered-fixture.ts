/**
 * Simulated processes for unit tests of the tiered store: each has its own
 * tiered store and bus connection, all share one controlled L2 and one fake
 * clock.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { memoryStore } from '../../memory/memory-store.js';
import type { InvalidationTracker } from '../invalidation-tracker.js';
import { TieredByteStore, type TieredStore } from '../tiered-store.js';
import { resolveTieredOptions, type TieredStoreOptions } from '../tiered-store-options.js';
import { atomicStore } from './atomic-store.js';
import { type ControlledStore, controlledStore } from './controlled-store.js';
import { type TestBus, TestBusNetwork } from './test-bus.js';

/** A clock a test moves by hand. */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

/** A fake clock starting at `startAt`. */
export function fakeClock(startAt = 1_700_000_000_000): FakeClock {
  let now = startAt;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

/** One simulated process. */
export interface SimulatedProcess {
  readonly store: TieredStore;
  readonly bus: TestBus;
}

/** Options of one simulated process, beyond what the world provides. */
export type ProcessOptions = Partial<Omit<TieredStoreOptions, 'l2' | 'bus' | 'clock'>> & {
  /** Replace the fill-race tracker (the naive-version test). */
  readonly tracker?: InvalidationTracker;
  /**
   * Give the process an L2 with `writeAndPublish` on its own bus (as Redis
   * has), so that its writes publish in one step with the write.
   */
  readonly atomic?: boolean;
};

/** Shared L2, bus network and clock, and the processes created on them. */
export class World {
  readonly clock = fakeClock();
  readonly l2: ControlledStore = controlledStore(memoryStore({ clock: this.clock }));
  readonly network = new TestBusNetwork();
  readonly processes: SimulatedProcess[] = [];

  /** A process whose store is not necessarily subscribed yet. */
  spawn(options: ProcessOptions = {}): SimulatedProcess {
    return this.spawnOn(this.network.connect(), options);
  }

  /** A process on a connection the test prepared (one that fails to subscribe, say). */
  spawnOn(bus: TestBus, options: ProcessOptions = {}): SimulatedProcess {
    const { tracker, atomic, ...rest } = options;
    const resolved = resolveTieredOptions({
      l1: memoryStore({ clock: this.clock }),
      // Off unless a test turns it on: its messages would show up in `published`.
      heartbeat: false,
      ...rest,
      // Atomic: the bus the tiered store uses is the L2's own, as with Redis.
      l2: atomic === true ? atomicStore(this.l2, bus) : this.l2,
      bus,
      clock: this.clock,
    });
    const store = new TieredByteStore(resolved, tracker === undefined ? {} : { tracker });
    const spawned = { store, bus };
    this.processes.push(spawned);
    return spawned;
  }

  /** A process whose L1 is live. */
  async start(options: ProcessOptions = {}): Promise<SimulatedProcess> {
    const spawned = this.spawn(options);
    await spawned.store.ready();
    return spawned;
  }

  async close(): Promise<void> {
    for (const { store } of this.processes) await store.close();
  }
}

/** Let queued microtasks and I/O callbacks run (bus deliveries, resolved replies). */
export async function settle(): Promise<void> {
  await nextTurn();
  await nextTurn();
}

/** Bytes of a short text, the way tests write values. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The text of stored bytes (or undefined). */
export function text(value: Uint8Array | null | undefined): string | undefined {
  return value == null ? undefined : new TextDecoder().decode(value);
}
