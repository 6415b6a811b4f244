/**
 * Data-dependency scopes: while a cached computation runs (a `getOrSet`
 * factory, a `collectDependencies` function), every tagged value it reads
 * through the cache — a hit, or a nested computation — records its tags and
 * the generations it was read under in the computation's scope
 * (AsyncLocalStorage). The value the computation stores carries them, so an
 * invalidation of any of them makes it a miss, as if it had been tagged by
 * hand.
 *
 * The generations recorded are those read **before** the data they guard (a
 * nested fill's snapshot, or the numbers a hit was validated against), never
 * ones read when the outer value is stored: a write committed and invalidated
 * between an inner read and the outer store leaves the outer entry born
 * invalid (the race of tag-generations.ts, one level up).
 *
 * A scope that cannot vouch for what it computed is spoiled: a nested value
 * whose generations are unknown, a read the cache did not answer (larder/sql's
 * bypasses), a tag whose counter moved during the computation, more tags than
 * `MAX_COLLECTED_TAGS`. Its value is returned but not stored, and the
 * enclosing scopes are spoiled in turn.
 *
 * Counters live per store and prefix (`prefix#T:tag`): a generation read from
 * another cache's counters means nothing against this one's, so such records
 * are ignored, with a warning once (decision 0007).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntryMeta } from './envelope.js';
import { WarningCodes, warnOnce } from './errors.js';
import type { Store } from './store.js';
import type { Dependencies } from './types.js';

/**
 * The most distinct tags one computation may collect (explicit tags stay
 * limited to 32 per call). Past it the scope is spoiled: its value is
 * returned but not stored, with the warning `LARDER_W_DEPENDENCY_LIMIT` once.
 * Every tag is one more counter read on each hit of the entry.
 */
export const MAX_COLLECTED_TAGS = 256;

/** Where tag counters live: one store under one prefix. */
export interface CounterSpace {
  readonly store: Store;
  readonly prefix: string;
}

/** Tags with, at the same index, the generation each was read under. */
export interface Recorded {
  readonly tags: readonly string[];
  readonly generations: readonly number[];
}

/** What a nested value depends on: tags and generations, nothing tagged, or something unknown. */
export type Dependence = Recorded | 'none' | 'unknown';

/** The counter space of collected dependencies (kept off the public object). */
const spaces = new WeakMap<Dependencies, CounterSpace>();

/** One computation's collected dependencies. */
export class DependencyScope {
  readonly space: CounterSpace;
  readonly #generations = new Map<string, number>();
  #complete = true;

  constructor(space: CounterSpace) {
    this.space = space;
  }

  /** Whether everything read was recorded: otherwise the value must not be stored. */
  get complete(): boolean {
    return this.#complete;
  }

  /** Record a nested read's dependence, read from the counters of `space`. */
  record(space: CounterSpace, dependence: Dependence): void {
    if (dependence === 'none' || !this.#complete) return;
    if (dependence === 'unknown') {
      this.spoil();
      return;
    }
    if (!sameSpace(space, this.space)) {
      if (dependence.tags.length > 0) warnForeign(space, this.space);
      return;
    }
    const { tags, generations } = dependence;
    const known = this.#generations;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as string;
      const generation = generations[i];
      if (generation === undefined) {
        this.spoil();
        return;
      }
      const before = known.get(tag);
      // Two reads saw two generations: the counter moved while this computed,
      // so part of it predates an invalidation. (Keeping either number could
      // be the later one: concurrent reads record in any order.)
      if (before !== undefined && before !== generation) {
        this.spoil();
        return;
      }
      known.set(tag, generation);
    }
    if (known.size > MAX_COLLECTED_TAGS) {
      warnOnce(
        WarningCodes.W_DEPENDENCY_LIMIT,
        `a cached computation read more than ${MAX_COLLECTED_TAGS} distinct tags; its value is not stored`,
      );
      this.spoil();
    }
  }

  /** Nothing collected can vouch for the value any more. */
  spoil(): void {
    this.#complete = false;
    this.#generations.clear();
  }

  /** What was collected, as recorded (empty when spoiled). */
  recorded(): Recorded {
    return { tags: [...this.#generations.keys()], generations: [...this.#generations.values()] };
  }

  /** The public, frozen form of what was collected. */
  dependencies(): Dependencies {
    const { tags, generations } = this.recorded();
    const dependencies: Dependencies = Object.freeze({
      tags: Object.freeze(tags),
      generations: Object.freeze(generations),
      complete: this.#complete,
    });
    spaces.set(dependencies, this.space);
    return dependencies;
  }
}

const storage = new AsyncLocalStorage<DependencyScope | undefined>();

/** The scope of the computation running now, if any. */
export function currentScope(): DependencyScope | undefined {
  return storage.getStore();
}

/** Run `fn` with `scope` as the current scope (`undefined`: outside any). */
export function runInScope<T>(scope: DependencyScope | undefined, fn: () => T): T {
  return storage.run(scope, fn);
}

/**
 * A read the cache did not answer (larder/sql runs a query the cache cannot
 * hold): nothing records what it read, so the computation around it, if any,
 * must not be stored.
 */
export function spoilDependencies(): void {
  storage.getStore()?.spoil();
}

/** What a stored entry depends on: the tags and generations it was stored (and validated) with. */
export function entryDependence(meta: EntryMeta | undefined): Dependence {
  const tags = meta?.tags;
  if (tags === undefined || tags.length === 0) return 'none';
  const generations = meta?.generations;
  return generations === undefined || generations.length !== tags.length ? 'unknown' : { tags, generations };
}

/**
 * Explicit tags with their snapshot, plus what a computation collected; an
 * explicit tag's snapshot wins (it was read first: if they differ, the entry
 * is born invalid either way).
 */
export function mergeDependence(explicit: Recorded | undefined, collected: Recorded): Recorded {
  if (collected.tags.length === 0) return explicit ?? collected;
  if (explicit === undefined) return collected;
  const tags = [...explicit.tags];
  const generations = [...explicit.generations];
  for (let i = 0; i < collected.tags.length; i++) {
    const tag = collected.tags[i] as string;
    if (tags.includes(tag)) continue;
    tags.push(tag);
    generations.push(collected.generations[i] as number);
  }
  return { tags, generations };
}

/** The counter space of dependencies collected by `collectDependencies`; `undefined` for a forged object. */
export function spaceOf(dependencies: Dependencies): CounterSpace | undefined {
  return spaces.get(dependencies);
}

/** Whether two counter spaces are one. */
export function sameSpace(a: CounterSpace, b: CounterSpace): boolean {
  return a.store === b.store && a.prefix === b.prefix;
}

function warnForeign(from: CounterSpace, into: CounterSpace): void {
  warnOnce(
    WarningCodes.W_FOREIGN_DEPENDENCY,
    `a computation cached under prefix "${into.prefix}" read a tagged value from another cache` +
      ` (prefix "${from.prefix}" or another store): its tags are not recorded, since their` +
      ' counters live elsewhere; tag the outer value by hand or use one cache for both',
  );
}
