/**
 * The dependency-scope primitive for callers that cannot use getOrSet's
 * factory shape (an HTTP page cache, template fragments): run a function in a
 * fresh scope and get back what it read, then `set` a value with it.
 */
import type { Shared } from './cache-context.js';
import {
  currentScope,
  DependencyScope,
  type Recorded,
  runInScope,
  sameSpace,
  spaceOf,
} from './dependency-scope.js';
import { LarderError } from './errors.js';
import type { Dependencies } from './types.js';

/** Dependencies that cannot vouch for a value: `set` removes the key instead of storing it. */
export const INCOMPLETE: unique symbol = Symbol('incomplete');

/**
 * The body of `Cache.collectDependencies`: `fn`'s value and what it read. In
 * an enclosing scope, what it collected is recorded there too (a fragment
 * built inside a page is part of the page).
 */
export async function collectDependencies<T>(
  shared: Shared,
  fn: () => T | Promise<T>,
): Promise<{ value: T; dependencies: Dependencies }> {
  if (typeof fn !== 'function')
    throw new LarderError('E_INVALID_ARGUMENT', 'collectDependencies(fn): fn must be a function');
  const parent = currentScope();
  const scope = new DependencyScope(shared.tags.space);
  const value = await runInScope(scope, fn);
  const dependencies = scope.dependencies();
  parent?.record(scope.space, scope.complete ? scope.recorded() : 'unknown');
  return { value, dependencies };
}

/**
 * What `set` stores of `dependencies`: their tags and generations, nothing
 * (none given), or `INCOMPLETE`. Dependencies collected under another cache's
 * counters (another store or prefix), or not collected at all, are refused:
 * their generations mean nothing against this cache's counters.
 */
export function collectedFor(
  shared: Shared,
  dependencies: Dependencies | undefined,
): Recorded | typeof INCOMPLETE | undefined {
  if (dependencies === undefined) return undefined;
  const space = typeof dependencies === 'object' && dependencies !== null ? spaceOf(dependencies) : undefined;
  if (space === undefined || !sameSpace(space, shared.tags.space))
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      'set(key, value, { dependencies }): dependencies must come from collectDependencies() of a cache' +
        ' on the same store and prefix',
    );
  return dependencies.complete ? dependencies : INCOMPLETE;
}
