/** The written skip list both exported suites take: case names, each with its reason (STYLE §2). */
import { ShownAs } from '../core/invalid-option.js';
import type { OptionChecks } from '../core/option-checks.js';

/**
 * Check a skip list against the suite's case names and return it as a map.
 * Naming a case that does not exist throws, so a renamed case cannot hide a
 * skip; so does a skip without a written reason.
 */
export function checkSkips(
  skip: Readonly<Record<string, string>>,
  caseNames: readonly string[],
  check: OptionChecks,
): Map<string, string> {
  const names = new Set(caseNames);
  const unknown = Object.keys(skip).filter((caseName) => !names.has(caseName));
  if (unknown.length > 0) {
    throw check.invalid(
      'skip',
      'keyed by names of existing cases ("category: title" as printed)',
      new ShownAs(`unknown ${unknown.map((n) => JSON.stringify(n)).join(', ')}`),
    );
  }
  const withoutReason = Object.entries(skip).filter(
    ([, reason]) => typeof reason !== 'string' || reason.trim() === '',
  );
  if (withoutReason.length > 0)
    throw check.invalid(
      'skip',
      'a written reason for every case',
      new ShownAs(`none for ${withoutReason.map(([n]) => JSON.stringify(n)).join(', ')}`),
    );
  return new Map(Object.entries(skip));
}
