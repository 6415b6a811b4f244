/**
 * One replication connection streaming one slot with pgoutput: a small client
 * of the streaming replication protocol on node-postgres (a `replication:
 * 'database'` connection, `START_REPLICATION`, CopyData both ways). We speak
 * the protocol ourselves rather than through pg-logical-replication because
 * the listener must decide exactly which LSN is acknowledged and when (that
 * library reports the received LSN plus one, which can make the server skip
 * a transaction whose commit record starts right there after a restart, and
 * acknowledges on a timer unless told not to), and because it decodes every
 * row while we need only table names.
 */
import pg from 'pg';
import { formatLsn } from './lsn.js';
import { encodeStatusUpdate, parseStreamMessage, type StreamMessage } from './replication-messages.js';

/** The CopyBoth side of node-postgres's connection, which its types leave out. */
interface CopyBothConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  once(event: 'replicationStart', listener: () => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** What a stream needs. */
export interface ReplicationStreamOptions {
  /** Connection settings (the role needs REPLICATION). */
  readonly connection: pg.ClientConfig;
  readonly slot: string;
  readonly publication: string;
  /** Where to start; 0 means the slot's confirmed position. */
  readonly startLsn: bigint;
  /** Every message, in stream order, synchronously. */
  readonly onMessage: (message: StreamMessage) => void;
  readonly now: () => number;
}

/** A started replication stream. */
export class ReplicationStream {
  readonly #client: pg.Client;
  readonly #connection: CopyBothConnection;
  readonly #now: () => number;
  #closing = false;
  /** Why we broke the stream off ourselves, which `ended` then rejects with. */
  #failure: unknown;
  /** Settles when the stream ends: rejects with the server's or the socket's error. */
  readonly ended: Promise<void>;
  /** When the server last sent anything (epoch ms). */
  lastMessageAt: number;

  private constructor(client: pg.Client, ended: Promise<void>, now: () => number) {
    this.#client = client;
    this.#connection = (client as unknown as { connection: CopyBothConnection }).connection;
    this.ended = ended;
    this.#now = now;
    this.lastMessageAt = now();
  }

  /** Connect and start streaming; resolves once the server has entered CopyBoth mode. */
  static async open(options: ReplicationStreamOptions): Promise<ReplicationStream> {
    const client = new pg.Client({
      keepAlive: true,
      ...options.connection,
      // Names in Relation messages come in the client encoding.
      client_encoding: 'UTF8',
      replication: 'database',
    } as pg.ClientConfig);
    let socketError: unknown;
    client.on('error', (error) => {
      socketError ??= error;
    });
    await client.connect();
    const connection = (client as unknown as { connection: CopyBothConnection }).connection;
    const publication = pg.escapeLiteral(pg.escapeIdentifier(options.publication));
    const query = client
      .query(
        `START_REPLICATION SLOT ${pg.escapeIdentifier(options.slot)} LOGICAL ${formatLsn(options.startLsn)} (proto_version '1', publication_names ${publication})`,
      )
      .then(
        () => undefined,
        (error: unknown) => Promise.reject(socketError ?? error),
      );
    const started = new Promise<void>((resolve) => connection.once('replicationStart', resolve));
    const stream = new ReplicationStream(
      client,
      query.then(
        () => {
          if (stream.#failure !== undefined) throw stream.#failure;
        },
        (error: unknown) => {
          if (stream.#failure !== undefined) throw stream.#failure;
          if (!stream.#closing) throw error;
        },
      ),
      options.now,
    );
    // The listener awaits `ended` once streaming; a stream that fails to start reports through `open`.
    stream.ended.catch(() => {});
    connection.on('copyData', ({ chunk }) => {
      stream.lastMessageAt = options.now();
      options.onMessage(parseStreamMessage(chunk));
    });
    try {
      await Promise.race([started, query.then(() => Promise.reject(new Error('the stream ended at once')))]);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return stream;
  }

  /** The server process streaming to us (it holds the slot until it exits). */
  get backendPid(): number | undefined {
    return (this.#client as unknown as { processID?: number | null }).processID ?? undefined;
  }

  /** Report `lsn` as flushed; `replyRequested` asks the server for a keepalive back. */
  sendStatus(lsn: bigint, replyRequested = false): void {
    if (this.#closing) return;
    this.#connection.sendCopyFromChunk(encodeStatusUpdate(lsn, this.#now(), replyRequested));
  }

  /** Break the stream off: `ended` rejects with `error`. */
  abort(error: unknown): void {
    if (this.#closing) return;
    this.#failure = error;
    this.#closing = true;
    this.#client.end().catch(() => {});
  }

  /** Report `lsn` a last time, end the copy and the connection. The slot stays. */
  async close(lsn: bigint): Promise<void> {
    if (this.#closing) return;
    try {
      this.sendStatus(lsn);
      this.#closing = true;
      // CopyDone lets the walsender finish cleanly; the query then completes.
      this.#connection.endCopyFrom();
      await Promise.race([this.ended, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    } catch {
      // The connection was already broken: ending it is all that is left.
    } finally {
      this.#closing = true;
      await this.#client.end().catch(() => {});
    }
  }
}
