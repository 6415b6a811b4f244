import { type ErrorCode, LarderError } from '../../core/errors.js';

// Matched on the reply text rather than on node-redis error classes, so the
// mapping holds for a client from another copy or major version of the library
// (an `instanceof` check would fail across copies). Redis 7 keeps the original
// error code at the front of errors raised inside a script (`WRONGTYPE ...
// script: ...`), so the specific checks run before the generic script check.
const NOT_INTEGER = /not an integer|would overflow/i;
const OOM = /^OOM\b|OOM command not allowed/;
const WRONG_TYPE = /^WRONGTYPE\b|WRONGTYPE Operation/;
const SCRIPT = /^NOSCRIPT\b|Error (?:running|compiling) script|@user_script|\bscript: /;

/**
 * True when `error` is an error reply from the server (its text starts with an
 * upper-case code such as `ERR`, `OOM`, `WRONGTYPE`), as opposed to a failure to
 * reach the server (refused, reset, closed, offline).
 */
export function isServerReply(error: unknown): boolean {
  return error instanceof Error && /^[A-Z][A-Z_]+ /.test(error.message);
}

function codeOf(message: string): ErrorCode {
  if (NOT_INTEGER.test(message)) return 'E_NOT_INTEGER';
  if (OOM.test(message)) return 'E_STORE_OOM';
  if (WRONG_TYPE.test(message)) return 'E_WRONG_TYPE';
  if (SCRIPT.test(message)) return 'E_SCRIPT';
  // Connection refused/reset, client closed or offline, socket closed
  // unexpectedly, protocol errors, any other server refusal.
  return 'E_STORE';
}

/**
 * Turn whatever node-redis rejected with into a `LarderError` with a stable code
 * and the original error as `cause`: `OOM` → `E_STORE_OOM`, `WRONGTYPE` →
 * `E_WRONG_TYPE`, "not an integer" → `E_NOT_INTEGER`, script failures →
 * `E_SCRIPT`, connection and everything else → `E_STORE`. A `LarderError` passes
 * through unchanged.
 * @example promise.catch((error) => { throw toLarderError(error); })
 */
export function toLarderError(error: unknown, connectionError?: Error): LarderError {
  if (error instanceof LarderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const text = `Redis: ${message || (error as Error)?.name || 'unknown error'}`;
  if (connectionError !== undefined && UNREACHABLE.test(message)) {
    // "The client is offline" says nothing about why; the socket's last error
    // (ECONNREFUSED 127.0.0.1:6379, ENOTFOUND host, a TLS or auth failure) does.
    return new LarderError('E_STORE', `${text}: ${connectionError.message}`, { cause: connectionError });
  }
  return new LarderError(codeOf(message), text, { cause: error });
}

/** node-redis's messages for a command refused because there is no connection. */
const UNREACHABLE = /client is (?:offline|closed)|connection (?:is )?closed|closed unexpectedly/i;

/** A `.then` rejection handler that rethrows as a `LarderError`; shared, so no closure per call. */
export function rethrowAsLarderError(error: unknown): never {
  throw toLarderError(error);
}
