/** Reporting of a session store's refusals and failures. */
import type { EventEmitter } from 'node:events';
import { type LarderError, WarningCodes, warnOnce } from '../core/errors.js';

/**
 * How a store object reports what it refused or could not do: an `error`
 * event when someone listens (an `error` event nobody listens to would crash
 * the process), else a process warning once per code. Messages never hold a
 * session id nor a session's contents.
 */
export function reportTo(emitter: EventEmitter): (error: LarderError) => void {
  return (error) => {
    if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
    else
      warnOnce(
        WarningCodes.W_SESSION,
        `larder session store: ${error.message} (listen for 'error' to see each)`,
      );
  };
}
