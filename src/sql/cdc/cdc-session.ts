/**
 * One replication session: a stream, the collector that turns it into
 * committed transactions, and the pipeline that bumps them and acknowledges
 * after. A session ends when its stream does; the listener opens the next one
 * from the last acknowledged LSN, and the slot re-sends what was not.
 */
import type pg from 'pg';
import type { BackoffDelays } from '../../core/backoff.js';
import { AckPipeline, type Batch } from './ack-pipeline.js';
import { decodePgoutput } from './pgoutput-decoder.js';
import type { StreamMessage } from './replication-messages.js';
import { ReplicationStream } from './replication-stream.js';
import { TransactionCollector } from './transaction-collector.js';

/** What a session needs from its listener. */
export interface SessionHooks {
  readonly connection: pg.ClientConfig;
  readonly slot: string;
  readonly publication: string;
  readonly statusIntervalMs: number;
  /** Backoff of failed bumps. */
  readonly retry: BackoffDelays;
  readonly now: () => number;
  /** The last acknowledged LSN, shared by every session of the listener. */
  acknowledged(): bigint;
  /** Move the acknowledged LSN forward (never back) and report it to the server. */
  advance(lsn: bigint): void;
  /** Store a batch's invalidations; rejects when they are not stored. */
  bump(batch: Batch): Promise<void>;
  /** A batch was stored and is about to be acknowledged. */
  stored(batch: Batch): void;
  /** A bump failed and will be retried. */
  retrying(error: unknown, delayMs: number): void;
}

/** With no message from the server for this many status intervals, the connection is taken for dead. */
const SILENT_INTERVALS = 6;

/** Wait `ms`, or less when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A running replication session. */
export class CdcSession {
  readonly #hooks: SessionHooks;
  readonly #collector = new TransactionCollector();
  readonly #pipeline: AckPipeline;
  #stream: ReplicationStream | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;

  private constructor(hooks: SessionHooks) {
    this.#hooks = hooks;
    this.#pipeline = new AckPipeline({
      bump: (batch) => hooks.bump(batch),
      acknowledge: (batch) => {
        hooks.stored(batch);
        hooks.advance(batch.endLsn);
      },
      onRetry: (error, delayMs) => hooks.retrying(error, delayMs),
      retry: hooks.retry,
      sleep: abortableSleep,
    });
  }

  /** Start streaming from the acknowledged LSN. */
  static async open(hooks: SessionHooks): Promise<CdcSession> {
    const session = new CdcSession(hooks);
    session.#stream = await ReplicationStream.open({
      connection: hooks.connection,
      slot: hooks.slot,
      publication: hooks.publication,
      startLsn: hooks.acknowledged(),
      onMessage: (message) => session.#onMessage(message),
      now: hooks.now,
    });
    session.#timer = setInterval(() => session.#tick(), hooks.statusIntervalMs);
    session.#timer.unref();
    return session;
  }

  /** Settles when the stream ends; rejects with why. */
  get ended(): Promise<void> {
    return this.#stream?.ended ?? Promise.resolve();
  }

  /** The server process of this session's stream. */
  get backendPid(): number | undefined {
    return this.#stream?.backendPid;
  }

  /** Commit time of the oldest received transaction not yet acknowledged. */
  get oldestWaitingCommitAt(): number | undefined {
    return this.#pipeline.oldestWaitingCommitAt;
  }

  /** Tell the server our position; `replyRequested` makes it answer with its own. */
  sendStatus(lsn: bigint, replyRequested = false): void {
    this.#stream?.sendStatus(lsn, replyRequested);
  }

  /**
   * End the session: drop what waits (the slot re-sends it), let a bump in
   * flight finish and acknowledge, report the position, close the connection.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#timer);
      await this.#pipeline.close();
      await this.#stream?.close(this.#hooks.acknowledged());
    })();
    return this.#closed;
  }

  #onMessage(message: StreamMessage): void {
    if (message.kind === 'xlogdata') {
      let decoded: ReturnType<typeof decodePgoutput>;
      try {
        decoded = decodePgoutput(message.payload);
      } catch (error) {
        // A message we cannot read: start over from the last acknowledged LSN.
        this.#stream?.abort(error);
        return;
      }
      const transaction = this.#collector.accept(decoded);
      if (transaction !== undefined) this.#pipeline.push(transaction);
    } else if (message.kind === 'keepalive') {
      // The keepalive says how far the server has read the WAL, and every
      // transaction that committed before that point has been sent ahead of it.
      // With none of them waiting, the position can move there: past the WAL of
      // other databases and unpublished tables, which the slot would keep otherwise.
      if (
        !this.#collector.inTransaction &&
        this.#pipeline.idle &&
        message.walEnd > this.#hooks.acknowledged()
      ) {
        this.#hooks.advance(message.walEnd);
      } else if (message.replyRequested) {
        this.sendStatus(this.#hooks.acknowledged());
      }
    }
  }

  #tick(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    const silentMs = this.#hooks.now() - stream.lastMessageAt;
    if (silentMs > SILENT_INTERVALS * this.#hooks.statusIntervalMs) {
      stream.abort(new Error(`no message from the server for ${silentMs} ms`));
      return;
    }
    // Asking for a reply every interval is what lets the silence above mean a dead connection.
    stream.sendStatus(this.#hooks.acknowledged(), true);
  }
}
