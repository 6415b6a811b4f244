/**
 * What the wrapper knows about one physical connection (a `pg.Client`): its
 * transaction, its session (search_path, user, settings) and the order of the
 * queries given to it.
 *
 * Kept in a WeakMap keyed by the client itself, so the knowledge follows the
 * connection through the pool (a client released inside a transaction is still
 * in it at its next checkout) and is dropped with it.
 */
import type { SessionState } from './session-state.js';
import { TransactionState } from './transaction-state.js';

/** The state of one connection. */
export class ConnectionState {
  readonly transaction = new TransactionState();
  /** The session as last read; `undefined` after anything that may have changed it. */
  session: SessionState | undefined;
  /** A statement that may change the session ran here: this connection no longer shows the pool's defaults. */
  tainted = false;
  /**
   * True while the pool emits `connect` for this connection: what its handlers
   * run (`SET search_path ...` on every new connection) is configuration, the
   * same for every connection, so it does not taint.
   */
  configuring = false;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /**
   * Run `work` after every query given to this connection before it has
   * finished. The wrapper awaits the cache and the catalog before it sends a
   * query, so without this a query could overtake an earlier one (a read sent
   * before the UPDATE it was written after), and its cache decision would be
   * made before the transaction state it depends on is known.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#tail.then(work, work);
    this.#tail = run.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return run;
  }

  /** Whether a query of this wrapper is queued or running on the connection. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** Resolves when every query given so far has finished. */
  drained(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

const states = new WeakMap<object, ConnectionState>();

/** The state of `client`, created on first use. Shared by every wrapper of that client. */
export function connectionState(client: object): ConnectionState {
  let state = states.get(client);
  if (state === undefined) {
    state = new ConnectionState();
    states.set(client, state);
  }
  return state;
}
