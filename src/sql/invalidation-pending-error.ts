/**
 * The rejection of a statement that committed while its invalidation could
 * not be stored (`onInvalidationFailure: 'wait'`): it must tell the app that
 * the transaction did commit, so that the app does not run it again.
 */
import { LarderError } from '../core/errors.js';

/** An invalidation that did not reach the store. */
export interface Unstored {
  /** The tables, as `stats()` names them. */
  readonly labels: readonly string[];
  /** Journaled: the cache replays it once the store answers. Otherwise the cache refused it (closed). */
  readonly journaled: boolean;
  /** The store's error, when the cache reported one (`onError: 'throw'`, or a refusal). */
  readonly cause: unknown;
}

/** Tables named in the message before "and N more". */
const MAX_NAMED_TABLES = 5;

/** The rejection of a statement that committed but whose invalidation is not stored. */
export function invalidationPendingError(unstored: Unstored, waitedMs: number): LarderError {
  const { labels, journaled, cause } = unstored;
  const more = labels.length > MAX_NAMED_TABLES ? ` and ${labels.length - MAX_NAMED_TABLES} more` : '';
  const tables = `${labels.slice(0, MAX_NAMED_TABLES).join(', ')}${more}`;
  const why = journaled
    ? `was not stored within ${waitedMs} ms (the cache store failed); the cache keeps retrying it in the background, and until it lands other processes may serve the old rows of these tables (this one does not)`
    : 'was refused by the cache; other processes may serve the old rows of these tables until their TTL or until the CDC listener invalidates them';
  return new LarderError(
    'E_INVALIDATION_PENDING',
    `The statement COMMITTED (do not retry it), but invalidating ${tables} ${why}`,
    cause === undefined ? undefined : { cause },
  );
}
