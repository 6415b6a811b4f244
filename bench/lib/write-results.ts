/**
 * Raw results as JSON under .bench-out/ (git-ignored), for later comparison.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

/** Write `data` to `.bench-out/<name>.json` and return the path. */
export function writeResults(name: string, data: unknown): string {
  const directory = new URL('../../.bench-out/', import.meta.url);
  mkdirSync(directory, { recursive: true });
  const file = new URL(`${name}.json`, directory);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file.pathname;
}
