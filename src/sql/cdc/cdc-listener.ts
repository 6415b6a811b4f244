/**
 * The CDC listener: follows the WAL through a durable logical replication slot
 * and bumps the table tags of every committed change — including writes from
 * psql, migrations, cron jobs and other services — acknowledging each LSN only
 * after its bump is stored. See docs/sql-cdc.md.
 */
import { backoffDelayMs } from '../../core/backoff.js';
import { LarderError } from '../../core/errors.js';
import { optionChecks } from '../../core/option-checks.js';
import type { Duration } from '../../core/types.js';
import { sqlChannels } from '../sql-channels.js';
import type { DatabaseIdentity } from '../table-tags.js';
import type { Batch } from './ack-pipeline.js';
import { AdminConnection } from './admin-connection.js';
import { bumpOrThrow } from './bump-or-throw.js';
import { type CdcListenerOptions, type ResolvedCdcOptions, resolveCdcOptions } from './cdc-options.js';
import { abortableSleep, CdcSession } from './cdc-session.js';
import { ensureSlot } from './ensure-slot.js';
import { formatLsn } from './lsn.js';
import { relationTags } from './relation-tags.js';
import {
  checkWalLevel,
  currentWalLsn,
  dropSlot,
  ensurePublication,
  readIdentity,
  waitForSlotRelease,
} from './replication-setup.js';
import { classifyStreamFailure, failureBeforeStart, type StreamFailure } from './stream-failure.js';

const catchUpChecks = optionChecks('catchUp');

/** How far the listener trails the database. */
export interface CdcLag {
  /** WAL bytes the server has written past the position the listener acknowledged. */
  readonly lagBytes: number;
  /**
   * How long the oldest received, not yet acknowledged transaction has waited
   * since it committed (by the server's clock); 0 when none waits.
   */
  readonly lagMs: number;
  readonly acknowledgedLsn: string;
  readonly serverLsn: string;
}

/** Counters since the listener was created. */
export interface CdcStats {
  /** Committed transactions whose invalidations were stored and acknowledged. */
  readonly transactions: number;
  /** Table tags bumped (each batch counts its distinct tables). */
  readonly tablesInvalidated: number;
  /** Times every cached query of the database was invalidated (slot created, lost or owed). */
  readonly fullInvalidations: number;
  /** Streams re-opened after a failure. */
  readonly reconnects: number;
  /** Bumps that failed and were retried (the store was down). */
  readonly bumpFailures: number;
  /** The last LSN reported to the server as handled. */
  readonly acknowledgedLsn: string;
  /** Whether a stream is open now. */
  readonly streaming: boolean;
}

/** A CDC listener. Create it with `createCdcListener`. */
export interface CdcListener {
  /** The database as the cache's tags name it (known once started, or when given). */
  readonly identity: DatabaseIdentity | undefined;
  /**
   * Check the setup, create what is missing (when allowed), do a full
   * invalidation if the slot had to be created, and start streaming. Rejects
   * with the cause when that fails; afterwards the listener reconnects by itself.
   */
  start(): Promise<void>;
  /**
   * Resolves `true` once every transaction committed before the call has been
   * bumped and acknowledged, `false` when `timeout` passes first.
   * @default timeout '30s'
   */
  catchUp(timeout?: Duration): Promise<boolean>;
  /** The lag now (one query for the server's WAL position). */
  lag(): Promise<CdcLag>;
  stats(): CdcStats;
  /** Stop streaming and close the connections; the slot stays and keeps the WAL. Idempotent. */
  stop(): Promise<void>;
  /** Stop, then drop the slot (teardown). The next start creates one, with a full invalidation. */
  dropSlot(): Promise<boolean>;
}

class PgCdcListener implements CdcListener {
  readonly #options: ResolvedCdcOptions;
  #db: DatabaseIdentity | undefined;
  readonly #admin: AdminConnection;
  #session: CdcSession | undefined;
  #acked = 0n;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #lagTimer: NodeJS.Timeout | undefined;
  /** The server process of our latest stream, which holds the slot until it exits. */
  #streamPid: number | undefined;
  /** Why the last stream said the slot cannot serve us: the next session re-creates it. */
  #unusable: string | undefined;
  readonly #counters = {
    transactions: 0,
    tablesInvalidated: 0,
    fullInvalidations: 0,
    reconnects: 0,
    bumpFailures: 0,
  };

  constructor(options: ResolvedCdcOptions) {
    this.#options = options;
    this.#db = options.identity;
    this.#admin = new AdminConnection(options.connection);
  }

  get identity(): DatabaseIdentity | undefined {
    return this.#db;
  }

  start(): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    this.#abort = new AbortController();
    this.#running = new Promise<void>((resolve, reject) => {
      this.#loop = this.#run(resolve, reject).catch((error: unknown) => {
        // A bug, not a database or store failure (those are retried): say so and stop following.
        reject(error);
        this.#options.logger.warn('larder/sql CDC: the listener stopped on an unexpected error', { error });
      });
    }).then(
      () => {
        this.#lagTimer = setInterval(() => this.#publishLag(), this.#options.lagIntervalMs);
        this.#lagTimer.unref();
      },
      async (error: unknown) => {
        await this.stop();
        throw error;
      },
    );
    return this.#running;
  }

  async catchUp(timeout?: Duration): Promise<boolean> {
    const timeoutMs = catchUpChecks.duration('timeout', timeout, 30_000, 0);
    this.#assertRunning('catchUp');
    const target = await currentWalLsn(await this.#admin.client());
    const deadline = performance.now() + timeoutMs;
    for (let poll = 0; this.#acked < target; poll++) {
      if (performance.now() > deadline || this.#abort.signal.aborted) return false;
      // A reply request makes the server send a keepalive with how far it has
      // read, which is what moves an idle listener's position to the target.
      if (poll % 5 === 0) this.#session?.sendStatus(this.#acked, true);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  async lag(): Promise<CdcLag> {
    this.#assertRunning('lag');
    const server = await currentWalLsn(await this.#admin.client());
    const acked = this.#acked;
    const oldest = this.#session?.oldestWaitingCommitAt;
    return {
      lagBytes: server > acked ? Number(server - acked) : 0,
      lagMs: oldest === undefined ? 0 : Math.max(0, this.#options.clock.now() - oldest),
      acknowledgedLsn: formatLsn(acked),
      serverLsn: formatLsn(server),
    };
  }

  stats(): CdcStats {
    return {
      ...this.#counters,
      acknowledgedLsn: formatLsn(this.#acked),
      streaming: this.#session !== undefined,
    };
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  async dropSlot(): Promise<boolean> {
    await this.stop();
    try {
      return await dropSlot(await this.#admin.client(), this.#options.slot);
    } finally {
      await this.#admin.close();
    }
  }

  async #stop(): Promise<void> {
    if (this.#running === undefined) return;
    this.#abort.abort();
    clearInterval(this.#lagTimer);
    await this.#session?.close();
    await this.#loop;
    // Wait until our walsender has let go of the slot, so that dropSlot() or a
    // new listener right after stop() does not find it still active.
    if (this.#streamPid !== undefined) {
      const client = await this.#admin.client().catch(() => undefined);
      if (client !== undefined) {
        await waitForSlotRelease(client, this.#options.slot, this.#streamPid, 5_000).catch(() => {});
      }
    }
    this.#streamPid = undefined;
    await this.#admin.close();
    this.#running = undefined;
  }

  async #run(ready: () => void, failed: (error: unknown) => void): Promise<void> {
    const { logger, retry } = this.#options;
    const signal = this.#abort.signal;
    let started = false;
    // Reconnections back off from the first delay; a stream that started resets it.
    let attempt = 0;
    let recreatedBeforeStart = false;
    let busySince: number | undefined;
    while (!signal.aborted) {
      let failure: StreamFailure;
      try {
        this.#session = await this.#openSession();
        this.#streamPid = this.#session.backendPid;
        busySince = undefined;
        if (!started) ready();
        started = true;
        attempt = 0;
        if (signal.aborted) break;
        await this.#session.ended;
        failure = { kind: 'transient', reason: 'the server ended the stream' };
      } catch (error) {
        if (signal.aborted) break;
        failure = classifyStreamFailure(error);
        busySince = failure.kind === 'slot-busy' ? (busySince ?? performance.now()) : undefined;
        if (!started) {
          const busyForMs = busySince === undefined ? 0 : performance.now() - busySince;
          const giveUp = failureBeforeStart(error, failure, recreatedBeforeStart, busyForMs);
          recreatedBeforeStart ||= failure.kind === 'slot-unusable';
          if (giveUp !== undefined) {
            failed(giveUp);
            return;
          }
        }
      } finally {
        const session = this.#session;
        this.#session = undefined;
        await session?.close();
      }
      if (signal.aborted) break;
      if (failure.kind === 'slot-unusable') this.#unusable = failure.reason;
      const delayMs = backoffDelayMs(attempt++, retry);
      if (started) {
        this.#counters.reconnects++;
        logger.warn(
          `larder/sql CDC: replication stream failed (${failure.reason}); reconnecting in ${delayMs} ms`,
          {
            slot: this.#options.slot,
          },
        );
      }
      await abortableSleep(delayMs, signal);
    }
    if (!started) failed(new LarderError('E_CLOSED', 'the CDC listener was stopped before it started'));
  }

  async #openSession(): Promise<CdcSession> {
    const options = this.#options;
    const admin = await this.#admin.client();
    this.#db ??= await readIdentity(admin);
    const db = this.#db;
    await checkWalLevel(admin);
    await ensurePublication(admin, options.publication, options.tables, options.create);
    const slot = await ensureSlot(admin, options, db, this.#unusable);
    // Handled: the slot is new (or was fine after all). A stream failing later is a new story.
    this.#unusable = undefined;
    if (slot.fullInvalidation) {
      this.#counters.fullInvalidations++;
      // A new slot starts past every LSN of the old one: reset, not max.
      this.#acked = slot.startLsn;
    } else if (slot.startLsn > this.#acked) {
      this.#acked = slot.startLsn;
    }
    return CdcSession.open({
      connection: options.connection,
      slot: options.slot,
      publication: options.publication,
      statusIntervalMs: options.statusIntervalMs,
      retry: options.retry,
      now: () => options.clock.now(),
      acknowledged: () => this.#acked,
      advance: (lsn) => {
        if (lsn <= this.#acked) return;
        this.#acked = lsn;
        this.#session?.sendStatus(lsn);
      },
      bump: (batch) => this.#bump(db, batch),
      stored: (batch) => {
        this.#counters.transactions += batch.transactions;
      },
      retrying: (error, delayMs) => {
        this.#counters.bumpFailures++;
        options.logger.warn(
          `larder/sql CDC: storing invalidations failed (${error instanceof Error ? error.message : String(error)}); not acknowledging, retrying in ${delayMs} ms`,
          { slot: options.slot },
        );
      },
    });
  }

  async #bump(db: DatabaseIdentity, batch: Batch): Promise<void> {
    const tags = relationTags(db, batch.relations);
    if (tags.length === 0) return;
    const { cache } = this.#options;
    await bumpOrThrow(cache, tags);
    this.#counters.tablesInvalidated += tags.length;
    const channel = sqlChannels.invalidate;
    if (channel.hasSubscribers) channel.publish({ tables: tags.length, source: 'cdc' });
  }

  #assertRunning(method: string): void {
    if (this.#running === undefined || this.#abort.signal.aborted)
      throw new LarderError('E_CLOSED', `CdcListener.${method}: the listener is not running`);
  }

  #publishLag(): void {
    if (!sqlChannels.cdcLag.hasSubscribers) return;
    this.lag().then(
      ({ lagBytes, lagMs }) => sqlChannels.cdcLag.publish({ lagBytes, lagMs }),
      () => {}, // the next interval tries again; the stream reports connection trouble itself
    );
  }
}

/**
 * Create a CDC listener: external writes invalidate the cached queries of
 * their tables, through Postgres logical replication. Call `start()`.
 *
 * @example
 * import { createCdcListener } from 'larder/sql';
 *
 * const listener = createCdcListener({ cache, connection: process.env.DATABASE_URL });
 * await listener.start();
 * // ... on shutdown:
 * await listener.stop();
 */
export function createCdcListener(options: CdcListenerOptions): CdcListener {
  return new PgCdcListener(resolveCdcOptions(options));
}
