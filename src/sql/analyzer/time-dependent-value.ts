/**
 * Postgres date/time input reads the special words `now`, `today`,
 * `tomorrow` and `yesterday` (any case, also combined: `'today 13:00'`) as the
 * current time, so `'now'::timestamptz` or `created_at > $1` with `$1 = 'now'`
 * is time-dependent although no function is called. Verified on Postgres 15:
 * `'%now%'`, `'_now'`, `'now!'`, `'{"now"}'` (arrays), `'13:00 today'` all read as the
 * current time; `'nowx'` and `'todays'` are errors.
 */
// Postgres skips punctuation around the word ('_now', '%now%' and 'now!' all read as now), so
// the word only has to stand apart from other ASCII letters.
const TIME_WORD = /(?<![a-z])(?:now|today|tomorrow|yesterday)(?![a-z])/i;

/**
 * True when `value` is a string Postgres could read as the current time once
 * it is coerced to a date/time type: the wrapper checks every string
 * parameter with it (the analyzer checks the literals in the SQL text). A text
 * that merely contains one of the words ("open today") is also reported; such
 * a query is not cached, which is safe.
 */
export function isTimeDependentValue(value: unknown): boolean {
  return typeof value === 'string' && TIME_WORD.test(value);
}
