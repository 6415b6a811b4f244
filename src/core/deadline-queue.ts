/**
 * Per-operation timeouts with one timer for all operations. Every operation of a
 * cache has the same timeout, so deadlines arrive in the order operations start:
 * a FIFO queue and one timer armed for its head replace a timer per call (a timer
 * per call, as node-redis's own AbortSignal timeout does, costs about 3x in
 * throughput).
 *
 * Stall-aware: when the timer fires late because this process's own event loop
 * was blocked (a long synchronous task), the replies of the calls it would time
 * out may already sit in the socket, unread. A late sweep therefore gives them
 * one I/O turn before it rejects anything, and reports the calls whose deadline
 * passed during the stall as stall timeouts, which say nothing about the store.
 */
import { coarseClock } from './coarse-clock.js';
import { LarderError } from './errors.js';

interface Pending {
  /** On the monotonic clock, immune to wall-clock jumps. */
  readonly deadlineAt: number;
  readonly operation: string;
  /**
   * Rejects the caller's promise at the deadline; `undefined` once the call has
   * settled, so that the record the queue keeps until its deadline passes does
   * not also keep the call's promise and closures alive (and old) that long.
   */
  reject: ((error: unknown) => void) | undefined;
  /** The caller's settle callback (one shared function, not a closure per call). */
  readonly settled: Settled;
}

/**
 * Hears how a call ended: `undefined` on success, else the error (the store's,
 * or `E_TIMEOUT`), with `stalled` true for a timeout whose deadline passed while
 * this process's event loop was blocked. Returns the error to reject with.
 */
export type Settled = (error: unknown, operation: string, stalled?: boolean) => unknown;

/**
 * A sweep that runs later than its timer was due by more than this fraction of
 * the timeout means our own event loop was blocked: a healthy timer fires within
 * a millisecond or two. Half the timeout keeps ordinary jitter on a loaded
 * machine out, and catches every stall long enough to have cost a call its
 * deadline by a margin that matters.
 */
export const STALL_FRACTION = 0.5;

/** Races promises against a shared, monotonic deadline. */
export class DeadlineQueue {
  readonly #timeoutMs: number;
  #queue: Pending[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The instant the timer is due at (the deadline it was armed for). */
  #dueAt = 0;
  /** The I/O turn a late sweep gives pending replies before it rejects anything. */
  #recheck: NodeJS.Immediate | undefined;
  readonly #stallMs: number;

  readonly #now: () => number;
  readonly #preciseNow: () => number;

  /**
   * `now` is a monotonic clock in ms, injectable for tests. By default it is read
   * at most once per millisecond (see coarse-clock.ts): deadlines have ~1 ms
   * resolution, and no call pays for a clock read of its own. `preciseNow` is the
   * same clock read for real, once per sweep: after a stall the coarse reading
   * is as old as the stall, and the sweep must see how late it runs.
   */
  constructor(timeoutMs: number, now?: () => number, preciseNow?: () => number) {
    this.#timeoutMs = timeoutMs;
    this.#now = now ?? coarseClock(() => performance.now());
    this.#preciseNow = preciseNow ?? now ?? (() => performance.now());
    this.#stallMs = timeoutMs * STALL_FRACTION;
  }

  /**
   * `promise`, or a rejection with `E_TIMEOUT` once the timeout has passed.
   * `settled` hears the outcome first (the error, or `undefined` on success) and
   * returns the error to reject with, so a caller can count and classify it
   * without chaining another promise.
   */
  race<T>(promise: Promise<T>, operation: string, settled: Settled): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadlineAt = this.#now() + this.#timeoutMs;
      const pending: Pending = { deadlineAt, operation, reject, settled };
      this.#queue.push(pending);
      // While a late sweep waits for its I/O turn, it re-arms the timer itself.
      if (this.#timer === undefined && this.#recheck === undefined) this.#arm(deadlineAt, this.#timeoutMs);
      promise.then(
        (value) => {
          if (pending.reject === undefined) return;
          pending.reject = undefined;
          settled(undefined, operation);
          resolve(value);
        },
        (error: unknown) => {
          if (pending.reject === undefined) return;
          pending.reject = undefined;
          reject(settled(error, operation));
        },
      );
    });
  }

  /** Stop the timer; pending operations then settle on their own. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#recheck !== undefined) clearImmediate(this.#recheck);
    this.#timer = undefined;
    this.#recheck = undefined;
  }

  #arm(dueAt: number, delayMs: number): void {
    this.#dueAt = dueAt;
    this.#timer = setTimeout(() => this.#sweep(), Math.max(1, delayMs));
    this.#timer.unref();
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = this.#preciseNow();
    const lateMs = now - this.#dueAt;
    if (lateMs <= this.#stallMs) {
      this.#expire(now, Number.NEGATIVE_INFINITY, 0);
      return;
    }
    // Our loop was blocked: replies that arrived meanwhile are still unread in
    // the socket. setImmediate runs after the poll phase, which reads them (and
    // settles their calls) first; only what is still pending then times out.
    this.#recheck = setImmediate(() => {
      this.#recheck = undefined;
      this.#expire(this.#preciseNow(), now, lateMs);
    });
    this.#recheck.unref();
  }

  /**
   * Reject every call whose deadline is at or before `now`; those whose deadline
   * is at or before `stalledUntil` timed out during a stall of our loop.
   */
  #expire(now: number, stalledUntil: number, lateMs: number): void {
    const queue = this.#queue;
    let head = this.#head;
    while (head < queue.length) {
      const pending = queue[head] as Pending;
      const reject = pending.reject;
      if (reject !== undefined && pending.deadlineAt > now) break;
      head++;
      if (reject !== undefined) {
        pending.reject = undefined;
        const stalled = pending.deadlineAt <= stalledUntil;
        const timeout = new LarderError(
          'E_TIMEOUT',
          stalled
            ? `${pending.operation} took longer than ${this.#timeoutMs} ms while the event loop was blocked (the deadline check ran ${Math.round(lateMs)} ms late)`
            : `${pending.operation} took longer than ${this.#timeoutMs} ms`,
        );
        reject(pending.settled(timeout, pending.operation, stalled));
      }
    }
    // Compact once the consumed part dominates, so the array does not grow forever.
    if (head === queue.length) {
      this.#queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      this.#queue = queue.slice(head);
      head = 0;
    }
    this.#head = head;
    const next = this.#queue[head];
    if (next !== undefined) this.#arm(next.deadlineAt, next.deadlineAt - now);
  }
}
