/**
 * `--name value` command-line options for benchmark scripts, with defaults, so
 * a quick run (`--runs 1 --duration-ms 500`) needs no code change.
 */
import { parseArgs } from 'node:util';

/** Numeric options by name (kebab-case, as typed on the command line). */
export function numericArgs<T extends Record<string, number>>(defaults: T): T {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(defaults).map((name) => [name, { type: 'string' as const }])),
    allowPositionals: false,
  });
  const out: Record<string, number> = { ...defaults };
  for (const [name, text] of Object.entries(values)) {
    const value = Number(text);
    if (typeof text !== 'string' || !Number.isFinite(value))
      throw new Error(`--${name} expects a number, got ${String(text)}`);
    out[name] = value;
  }
  return out as T;
}
