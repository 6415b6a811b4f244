/**
 * Messages between bench/propagation.ts and its worker processes (IPC).
 * Instants are `process.hrtime.bigint()` readings as decimal strings
 * (CLOCK_MONOTONIC: one clock for every process on the machine).
 */

/** The library a message is about. */
export type PropagationLibrary = 'larder' | 'bentocache';

/** How a writer changes an entry that readers hold in L1. */
export type PropagationOperation = 'delete' | 'invalidateTags' | 'set';

/**
 * How a reader polls; both read again after a turn of the event loop
 * (setImmediate), so the invalidation message can be read in between. `nap`
 * first sleeps the thread for 50 µs (Atomics.wait: the process leaves the
 * CPU, as an idle server does, and reads about every 0.12 ms); `spin` does not
 * (the reader keeps a core busy while it waits, as a loaded server does).
 */
export type PropagationWatch = 'nap' | 'spin';

/** Parent to worker. */
export type PropagationMessage =
  | { readonly type: 'init'; readonly redisUrl: string; readonly prefix: string }
  /** Writer: store `{ n }` under `key`, tagged `tag`. */
  | {
      readonly type: 'prepare';
      readonly library: PropagationLibrary;
      readonly key: string;
      readonly tag: string;
      readonly n: number;
    }
  /** Reader: read `key` until it holds `{ n }` (now in L1), answer `armed`, then watch for a change. */
  | {
      readonly type: 'arm';
      readonly library: PropagationLibrary;
      readonly key: string;
      readonly n: number;
      readonly watch: PropagationWatch;
      readonly timeoutMs: number;
    }
  /** Reader: whether `key` still reads `{ n }` (the control check). */
  | { readonly type: 'peek'; readonly library: PropagationLibrary; readonly key: string; readonly n: number }
  /** Writer: apply `operation` (a `set` stores `{ n: n + 1 }`). */
  | {
      readonly type: 'fire';
      readonly library: PropagationLibrary;
      readonly operation: PropagationOperation;
      readonly key: string;
      readonly tag: string;
      readonly n: number;
    }
  | { readonly type: 'close' };

/** Worker to parent. */
export type PropagationReply =
  | { readonly type: 'ready' | 'ok' | 'armed' }
  | { readonly type: 'peeked'; readonly unchanged: boolean }
  | { readonly type: 'fired'; readonly startedAt: string; readonly finishedAt: string }
  /** The first read that saw the change, or `lost` when none did within the timeout. */
  | { readonly type: 'seen'; readonly at: string; readonly reads: number }
  | { readonly type: 'lost'; readonly reads: number }
  | { readonly type: 'error'; readonly error: string };
