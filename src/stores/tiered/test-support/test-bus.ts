/**
 * A bus for unit tests of the tiered store: one `TestBusNetwork` plays the
 * Redis server, and each `network.connect()` is one process's connection to it,
 * which a test can take down and bring back, hold messages on, or make fail.
 * Delivery is asynchronous (a microtask), as over a socket.
 */
import { LarderError } from '../../../core/errors.js';
import type { Bus, BusHandlers, BusSubscription } from '../../../core/store.js';

interface Subscriber {
  readonly channel: string;
  readonly handlers: BusHandlers;
  closed: boolean;
}

/** One process's connection to the test network. */
export class TestBus implements Bus {
  readonly #network: TestBusNetwork;
  readonly #subscribers = new Set<Subscriber>();
  #up = true;
  #held: Array<() => void> | undefined;
  #heldSubscribes: Array<() => void> | undefined;
  /** Subscribe calls still to reject. */
  failSubscribes = 0;
  /** While true, publish rejects (the server never sees the message). */
  failPublishes = false;
  /** Messages published through this connection, in order. */
  readonly published: string[] = [];

  /** False between down() and up(). */
  get isUp(): boolean {
    return this.#up;
  }

  constructor(network: TestBusNetwork) {
    this.#network = network;
  }

  publish(channel: string, message: string): Promise<void> {
    if (!this.#up || this.failPublishes)
      return Promise.reject(new LarderError('E_STORE', 'test bus: publish failed'));
    this.published.push(message);
    this.#network.deliver(channel, message);
    return Promise.resolve();
  }

  subscribe(channel: string, handlers: BusHandlers): Promise<BusSubscription> {
    if (!this.#up || this.failSubscribes > 0) {
      this.failSubscribes = Math.max(0, this.failSubscribes - 1);
      return Promise.reject(new LarderError('E_STORE', 'test bus: subscribe failed'));
    }
    const subscriber: Subscriber = { channel, handlers, closed: false };
    const connection = this;
    const subscription: BusSubscription = {
      get live() {
        return !subscriber.closed && connection.#up;
      },
      async close() {
        subscriber.closed = true;
        connection.#subscribers.delete(subscriber);
      },
    };
    const confirm = (): BusSubscription => {
      this.#subscribers.add(subscriber);
      return subscription;
    };
    const queue = this.#heldSubscribes;
    if (queue === undefined) return Promise.resolve(confirm());
    return new Promise((resolve) => queue.push(() => resolve(confirm())));
  }

  /** Leave subscribe() calls unanswered until releaseSubscribes(): a slow server. */
  holdSubscribes(): void {
    this.#heldSubscribes ??= [];
  }

  /** Confirm the held subscribe() calls. */
  releaseSubscribes(): void {
    const queue = this.#heldSubscribes ?? [];
    this.#heldSubscribes = undefined;
    for (const confirm of queue) confirm();
  }

  /** Messages on `channel` for this connection's subscribers. */
  receive(channel: string, message: string): void {
    const run = (): void => {
      if (!this.#up) return; // lost while the connection was down
      for (const subscriber of this.#subscribers)
        if (!subscriber.closed && subscriber.channel === channel) subscriber.handlers.message(message);
    };
    if (this.#held !== undefined) this.#held.push(run);
    else queueMicrotask(run);
  }

  /** The connection drops: subscribers hear down(), and messages are lost until up(). */
  down(): void {
    if (!this.#up) return;
    this.#up = false;
    for (const subscriber of this.#subscribers) subscriber.handlers.down();
  }

  /** The connection is back: subscribers hear up(). */
  up(): void {
    if (this.#up) return;
    this.#up = true;
    for (const subscriber of this.#subscribers) subscriber.handlers.up();
  }

  /** Keep arriving messages until release(): a slow subscriber connection. */
  hold(): void {
    this.#held ??= [];
  }

  /** Deliver what hold() kept, in order, now. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const run of held) run();
  }
}

/** The "server" the test buses share. */
export class TestBusNetwork {
  readonly #connections = new Set<TestBus>();

  /** A new connection (one per simulated process). */
  connect(): TestBus {
    const bus = new TestBus(this);
    this.#connections.add(bus);
    return bus;
  }

  /** Send `message` to every connection's subscribers of `channel`. */
  deliver(channel: string, message: string): void {
    for (const connection of this.#connections) connection.receive(channel, message);
  }
}
