/**
 * Reconnects a node-redis client whose own `reconnectStrategy` is `false`, so
 * that closing the store ends the wait between two attempts at once.
 *
 * Why not node-redis's own retries: it waits between attempts with
 * `await setTimeout(retryIn)` from `node:timers/promises` (client/socket.js
 * `#connect`, @redis/client 5 and 6), with no signal, so neither `close()` nor
 * `destroy()` can cancel it, and the pending timer keeps the process alive up
 * to `maxDelay` after everything was closed. A strategy cannot help either:
 * node-redis asks it for the delay before waiting, not after. So node-redis is
 * told not to retry, which closes the client after each failure (`isOpen`
 * false), and this loop connects it again after the backoff on a timer that
 * `stop()` clears.
 */

/** The part of a node-redis client the loop drives. */
export interface Reconnectable {
  /** True from `connect()` until closed or node-redis stops retrying. */
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * How long to wait before the next attempt after `retries` failed ones in a row,
 * or `false` to stop for good. `cause` is why the last attempt failed.
 */
export type RetryDelay = (retries: number, cause: unknown) => number | false;

/** Options of a `ReconnectLoop`. */
export interface ReconnectLoopOptions {
  readonly retryDelayMs: RetryDelay;
  /** Called once, when `retryDelayMs` answers `false`: the client stays closed. */
  readonly onGaveUp: (cause: unknown) => void;
}

/**
 * Connects a client and keeps it connected until `stop()`: after a failed
 * attempt it waits `retryDelayMs(retries)`; after losing a live connection it
 * tries once at once, then backs off from `retryDelayMs(1)` (node-redis's own
 * order, kept so that the store's behaviour does not change).
 *
 * With `retryDelayMs` always `false` it only reports when node-redis stops: for
 * a client that retries by its own strategy (the subscriber of a client the
 * user passed in), which the loop never reconnects.
 */
export class ReconnectLoop {
  readonly #client: Reconnectable;
  readonly #options: ReconnectLoopOptions;
  #retries = 0;
  /** An attempt is under way: its failure arrives as connect()'s rejection. */
  #connecting = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The last error heard while an attempt was under way. */
  #heard: Error | undefined;

  constructor(client: Reconnectable, options: ReconnectLoopOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** Waiting out the backoff between two attempts (the client is closed meanwhile). */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  /** Make the first attempt. */
  start(): void {
    this.#client.on('error', this.#onError);
    this.#attempt();
  }

  /** Stop retrying: clear the pending wait and stop listening. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#client.off('error', this.#onError);
  }

  readonly #attempt = (): void => {
    this.#timer = undefined;
    if (this.#stopped || this.#client.isOpen) return;
    this.#connecting = true;
    this.#heard = undefined;
    let attempt: Promise<unknown>;
    try {
      attempt = this.#client.connect();
    } catch (error) {
      attempt = Promise.reject(error);
    }
    attempt.then(this.#onConnected, this.#onFailed);
  };

  readonly #onConnected = (): void => {
    this.#connecting = false;
    this.#retries = 0;
    // Connected and lost again before connect() resolved: that loss's error
    // came while the attempt still looked under way, and was not acted on.
    if (!this.#client.isOpen) this.#onError(this.#heard ?? new Error('the connection was lost'));
  };

  readonly #onFailed = (error: unknown): void => {
    this.#connecting = false;
    if (this.#stopped || this.#client.isOpen) return;
    const delayMs = this.#options.retryDelayMs(this.#retries++, error);
    if (delayMs === false) this.#giveUp(error);
    else this.#wait(delayMs);
  };

  /**
   * A live connection was lost. node-redis, told not to retry, has closed the
   * client by the time it emits the error; any other error (a failed PING, a
   * reply it could not parse, an attempt of ours failing) leaves it open or is
   * answered by connect()'s rejection.
   */
  readonly #onError = (error: Error): void => {
    if (this.#connecting) this.#heard = error;
    if (this.#stopped || this.#connecting || this.#timer !== undefined || this.#client.isOpen) return;
    // Asked with 0 only whether to retry at all; the first retry is immediate.
    if (this.#options.retryDelayMs(0, error) === false) {
      this.#giveUp(error);
      return;
    }
    this.#retries = 1;
    // Not synchronously: node-redis is still inside its error handling.
    this.#wait(0);
  };

  #wait(delayMs: number): void {
    // Referenced, like the socket of a live connection: a process whose only
    // work is this connection (a subscriber waiting for messages) must live
    // through an outage, not exit during a wait. stop() clears it.
    this.#timer = setTimeout(this.#attempt, delayMs);
  }

  #giveUp(cause: unknown): void {
    this.stop();
    this.#options.onGaveUp(cause);
  }
}
