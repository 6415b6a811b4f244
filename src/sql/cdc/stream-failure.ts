/** What a failed replication stream means for the listener. */
import { isLarderError, LarderError } from '../../core/errors.js';
import { sqlState } from './replication-setup.js';

/** How the listener reacts to a failed stream. */
export type StreamFailure =
  /** The slot cannot give us what we missed: re-create it with a full invalidation. */
  | { readonly kind: 'slot-unusable'; readonly reason: string }
  /** Another backend streams from the slot; wait and retry. */
  | { readonly kind: 'slot-busy'; readonly reason: string }
  /** Anything else (connection lost, server restarting): reconnect with backoff. */
  | { readonly kind: 'transient'; readonly reason: string };

const INVALIDATED =
  /can no longer get changes from replication slot|cannot read from logical replication slot/;
const WAL_REMOVED = /requested WAL segment .* has already been removed/;

/** Classify the error a stream ended with. */
export function classifyStreamFailure(error: unknown): StreamFailure {
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (state === '42704' && message.includes('replication slot'))
    return { kind: 'slot-unusable', reason: message };
  // pgoutput reads publications as of each change's position in the WAL: after
  // the publication was dropped, even re-creating it leaves the slot failing
  // on the changes in between, and those changes were not published anyway.
  if (state === '42704' && message.includes('publication')) return { kind: 'slot-unusable', reason: message };
  if (INVALIDATED.test(message) || WAL_REMOVED.test(message))
    return { kind: 'slot-unusable', reason: message };
  if (state === '55006') return { kind: 'slot-busy', reason: message };
  return { kind: 'transient', reason: message };
}

/** How long a listener that has not started yet waits for a slot another backend holds. */
const BUSY_WAIT_MS = 5_000;

/**
 * Whether a failure before the first stream ends start(), and with which
 * error; `undefined` to retry. Only two are worth retrying then: a slot the
 * server cannot stream from (re-created, once), and a slot held for a few
 * seconds (a stream of ours that just closed, or a crashed process's).
 */
export function failureBeforeStart(
  error: unknown,
  failure: StreamFailure,
  recreatedOnce: boolean,
  busyForMs: number,
): unknown {
  if (isLarderError(error, 'E_CDC_SETUP')) return error;
  if (failure.kind === 'slot-unusable' && !recreatedOnce) return undefined;
  if (failure.kind !== 'slot-busy') return error;
  if (busyForMs < BUSY_WAIT_MS) return undefined;
  return new LarderError(
    'E_CDC_SETUP',
    `larder/sql CDC: ${failure.reason}: another listener streams from this slot (one slot per cache; stop it or choose another slot)`,
    { cause: error },
  );
}
