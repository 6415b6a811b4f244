/**
 * Proof that the bus still carries messages to this process. A subscription
 * can be dead without the client noticing: a network partition that sends no
 * reset leaves the socket open, and the server's messages never arrive. So the
 * store publishes an empty invalidation every `interval` and listens for its
 * own echo (any message of its own counts); with no echo for `timeout`, L1
 * is quarantined as if the bus were down, until an echo arrives again.
 */
import type { Clock, Duration } from '../../core/types.js';

/** Timing of the heartbeat. */
export interface HeartbeatOptions {
  /** How often to publish one. @default '1s' */
  readonly interval?: Duration;
  /**
   * How long without hearing any of its own messages before L1 is quarantined;
   * more than `interval`.
   * @default '5s' (or twice `interval`, if that is longer)
   */
  readonly timeout?: Duration;
}

/** The heartbeat's timing, resolved. */
export interface HeartbeatTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** What a heartbeat needs. */
export interface HeartbeatParts extends HeartbeatTiming {
  readonly clock: Clock;
  /** Publish one heartbeat (failures are the caller's to swallow). */
  readonly send: () => void;
  /** Whether the echo is overdue changed. */
  readonly onLateChange: (late: boolean) => void;
}

/** The heartbeat of one store. */
export class Heartbeat {
  readonly #parts: HeartbeatParts;
  #timer: NodeJS.Timeout | undefined;
  #heardAt = 0;
  #late = false;

  constructor(parts: HeartbeatParts) {
    this.#parts = parts;
  }

  /** Whether the echo is overdue. */
  get late(): boolean {
    return this.#late;
  }

  /** The subscription is (again) live: expect echoes from now on. */
  start(): void {
    this.#heardAt = this.#parts.clock.now();
    this.#setLate(false);
    clearInterval(this.#timer);
    this.#parts.send();
    this.#timer = setInterval(this.#tick, this.#parts.intervalMs);
    // Heartbeats must not keep an otherwise idle process alive.
    this.#timer.unref();
  }

  /** The subscription is gone (or the store closes): nothing to expect. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#setLate(false);
  }

  /** One of the store's own messages came back. */
  heard(): void {
    this.#heardAt = this.#parts.clock.now();
    this.#setLate(false);
  }

  readonly #tick = (): void => {
    if (this.#parts.clock.now() - this.#heardAt > this.#parts.timeoutMs) this.#setLate(true);
    this.#parts.send();
  };

  #setLate(late: boolean): void {
    if (late === this.#late) return;
    this.#late = late;
    this.#parts.onLateChange(late);
  }
}
