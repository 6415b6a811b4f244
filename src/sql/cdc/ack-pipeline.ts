/**
 * Bump first, acknowledge after: committed transactions are merged into a
 * batch, the batch's tables are bumped in one call, and only when that call
 * has stored them is the batch's last LSN acknowledged. While a bump is in
 * flight, newer transactions gather into the next batch (group commit), so a
 * burst of small transactions costs a few bumps, not one each. A failed bump
 * is retried with backoff, with the transactions that arrived meanwhile merged
 * in: memory stays bounded by the number of distinct tables, whatever the
 * backlog, and the slot on the server keeps the WAL until we acknowledge.
 */
import { type BackoffDelays, backoffDelayMs } from '../../core/backoff.js';
import type { CommittedTransaction, RelationName } from './transaction-collector.js';

/** Transactions merged for one bump. */
export interface Batch {
  /** Every relation any of them changed (see `CommittedTransaction.relations`). */
  readonly relations: Map<number, RelationName | undefined>;
  /** The last transaction's end: acknowledging it covers the whole batch. */
  endLsn: bigint;
  /** The earliest commit time in the batch (epoch ms, the server's clock). */
  readonly oldestCommitAt: number;
  transactions: number;
}

/** What the pipeline is plugged into. */
export interface AckPipelineOptions {
  /** Store the invalidation of the batch's tables; rejects when it is not stored. */
  readonly bump: (batch: Batch) => Promise<void>;
  /** Called in LSN order once a batch is stored. */
  readonly acknowledge: (batch: Batch) => void;
  /** A bump failed and will be retried after `delayMs`. */
  readonly onRetry: (error: unknown, delayMs: number) => void;
  /** Backoff of the retries (no jitter: the slot keeps the WAL, nothing races). */
  readonly retry: BackoffDelays;
  /** Wait `ms`, or less when `signal` aborts (injected so unit tests need no real sleeps). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

function merge(into: Batch, transaction: CommittedTransaction | Batch): Batch {
  for (const [oid, name] of transaction.relations) {
    if (!into.relations.has(oid) || into.relations.get(oid) === undefined) into.relations.set(oid, name);
  }
  if (transaction.endLsn > into.endLsn) into.endLsn = transaction.endLsn;
  into.transactions += 'transactions' in transaction ? transaction.transactions : 1;
  return into;
}

/** The bump-then-acknowledge pipeline of one replication session. */
export class AckPipeline {
  readonly #options: AckPipelineOptions;
  readonly #abort = new AbortController();
  /** Transactions waiting for the bump in flight to finish. */
  #next: Batch | undefined;
  /** The batch being bumped (or retried). */
  #inFlight: Batch | undefined;
  #draining: Promise<void> | undefined;

  constructor(options: AckPipelineOptions) {
    this.#options = options;
  }

  /** Nothing waits to be bumped or acknowledged. */
  get idle(): boolean {
    return this.#next === undefined && this.#inFlight === undefined;
  }

  /** Commit time of the oldest transaction not yet acknowledged, if any. */
  get oldestWaitingCommitAt(): number | undefined {
    return this.#inFlight?.oldestCommitAt ?? this.#next?.oldestCommitAt;
  }

  /** Queue a committed transaction; its bump starts now or after the one in flight. */
  push(transaction: CommittedTransaction): void {
    if (this.#abort.signal.aborted) return;
    this.#next = merge(
      this.#next ?? {
        relations: new Map(),
        endLsn: 0n,
        oldestCommitAt: transaction.commitAt,
        transactions: 0,
      },
      transaction,
    );
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /**
   * Stop retrying and drop what is waiting (the slot will send it again); a
   * bump already running may still finish and acknowledge.
   */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#next = undefined;
    await this.#draining;
  }

  async #drain(): Promise<void> {
    const { signal } = this.#abort;
    while (this.#next !== undefined && !signal.aborted) {
      let batch = this.#next;
      this.#next = undefined;
      this.#inFlight = batch;
      let attempt = 0;
      let stored = false;
      for (;;) {
        try {
          await this.#options.bump(batch);
          stored = true;
          break;
        } catch (error) {
          if (signal.aborted) break;
          const delayMs = backoffDelayMs(attempt++, this.#options.retry);
          this.#options.onRetry(error, delayMs);
          await this.#options.sleep(delayMs, signal);
          if (signal.aborted) break;
          // One retry covers everything that arrived meanwhile, so the backlog
          // costs one bump when the store is back, not one per transaction.
          if (this.#next !== undefined) {
            batch = merge(batch, this.#next);
            this.#next = undefined;
            this.#inFlight = batch;
          }
        }
      }
      this.#inFlight = undefined;
      // Closed while failing: nothing was stored, so nothing is acknowledged.
      if (!stored) return;
      this.#options.acknowledge(batch);
    }
  }
}
