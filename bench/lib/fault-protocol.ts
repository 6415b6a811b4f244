/**
 * Messages between bench/faults.ts and its child reader (bench/lib/fault-worker.ts).
 * Instants are CLOCK_MONOTONIC milliseconds (`monotonicMs`), one clock for
 * both processes. The database stays in the bench process: the child's
 * factory asks for a row with `db-read` and gets its version back.
 */
import type { ReadLog } from './fault-load.js';
import type { StoreKind, WriterKind } from './fault-scenarios.js';

/** Bench process to child. */
export type FaultMessage =
  /** Open the scenario's cache (same prefix and channel as the bench process's), read every row once. */
  | {
      readonly type: 'open';
      readonly store: StoreKind;
      readonly writer: WriterKind;
      readonly url: string;
      readonly prefix: string;
      readonly rows: number;
    }
  /** Run the readers until `stopAt`, then answer `done`. */
  | {
      readonly type: 'run';
      readonly workers: number;
      readonly thinkMs: number;
      readonly zipf: number;
      readonly seed: number;
      readonly stopAt: number;
    }
  /** A phase edge: answer `sample` with the counters now, and count later error events under `next`. */
  | { readonly type: 'sample'; readonly next: string }
  /** The answer to a `db-read`. */
  | { readonly type: 'db-row'; readonly seq: number; readonly version: number }
  | { readonly type: 'close' };

/** Child to bench process. */
export type FaultReply =
  | { readonly type: 'opened' }
  | { readonly type: 'db-read'; readonly seq: number; readonly id: number }
  | {
      readonly type: 'sample';
      readonly stats: Record<string, number>;
      readonly breaker: string;
      readonly l1: string | null;
    }
  | {
      readonly type: 'done';
      readonly log: ReadLog;
      /** `operation code` of every error event, per phase. */
      readonly errorEvents: Record<string, Record<string, number>>;
    }
  | { readonly type: 'error'; readonly error: string };
