/**
 * The one shape of every `E_INVALID_OPTION` message:
 *
 *   `[<scope>: ]<path> must be <what it expects>, got <value>`
 *
 * `scope` names the function the option was given to (`redisStore`,
 * `tieredStore`, `cachedPool`…); options of a single call (`ttl`, `tags`,
 * `delta`) have none. `path` is the option as the user wrote it
 * (`reconnect.maxDelay`, `tables.users.ttl`). The value is shown safely: short,
 * functions named not printed, credentials masked (see `showValue`).
 */
import { LarderError } from './errors.js';

/** A value shown as this text, verbatim (a description, or an already masked value). */
export class ShownAs {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** The longest value shown in a message, in characters. */
const MAX_SHOWN = 80;
/** Keys whose values are never shown. */
const SECRET_KEY = /pass|secret|token|key$/i;
/** `scheme://user:password@` in a string: the password is masked. */
const URL_PASSWORD = /(\/\/[^:@/\s]*):[^@/\s]*@/g;

/** `value` as a message shows it: JSON where it reads well, never a secret, at most ~80 characters. */
export function showValue(value: unknown): string {
  if (value instanceof ShownAs) return value.text;
  let shown: string;
  switch (typeof value) {
    case 'function':
      return 'a function';
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'symbol':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
      shown = JSON.stringify(value.replace(URL_PASSWORD, '$1:***@'));
      break;
    default:
      try {
        shown =
          JSON.stringify(value, (key, inner: unknown) =>
            key !== '' && SECRET_KEY.test(key)
              ? '***'
              : typeof inner === 'string'
                ? inner.replace(URL_PASSWORD, '$1:***@')
                : typeof inner === 'function'
                  ? 'a function'
                  : typeof inner === 'bigint'
                    ? `${inner}n`
                    : inner,
          ) ?? String(value);
      } catch {
        // A cycle, or a getter that throws.
        shown = Object.prototype.toString.call(value);
      }
  }
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN - 1)}…` : shown;
}

/**
 * The `E_INVALID_OPTION` error for option `path` holding `got` where `expected`
 * was wanted; `cause`, when the check failed with an error of its own.
 */
export function invalidOption(
  path: string,
  expected: string,
  got: unknown,
  scope?: string,
  cause?: unknown,
): LarderError {
  const where = scope === undefined ? path : `${scope}: ${path}`;
  const message = `${where} must be ${expected}, got ${showValue(got)}`;
  return new LarderError('E_INVALID_OPTION', message, cause === undefined ? undefined : { cause });
}
