/**
 * The wrapper's memory of the catalog, per database: name resolution under a
 * search_path, the relations a read or write touches (views expanded to base
 * tables, partitions, cascading foreign keys), and function volatility. Each
 * fact is looked up once and trusted for `catalogTtl`; DDL through the wrapper
 * forgets everything at once. Lookups run on a connection only on a miss, so a
 * warm catalog lets `pool.query` answer hits without checking out a client.
 */
import type { Clock } from '../core/types.js';
import type { RelationRef } from './analyzer/sql-analysis.js';
import {
  immutableFunctions,
  type RelationInfo,
  relationClosure,
  resolveRelations,
} from './catalog-queries.js';
import type { RawQueryable } from './session-state.js';

/** Gives a connection for a lookup, checked out only when one is needed. */
export type LookupConnection = () => Promise<RawQueryable>;

/**
 * Collects when the facts a decision used stop being trusted: the earliest
 * expiry among them (`untilAt`), so that whoever keeps the decision keeps it
 * no longer than the facts themselves.
 */
export interface FactValidity {
  untilAt: number;
}

/** Most facts kept per kind; the oldest go first. */
const MAX_FACTS = 10_000;

/** A Map whose entries expire, bounded in size. */
class Facts<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();

  get(key: string, now: number): { readonly value: V; readonly expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    if (this.#entries.size > MAX_FACTS) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Lookups in flight, by fact key: callers that miss the same facts at once
 * (a cold start: many requests, many connections, one new SQL text) share one
 * catalog query instead of each running it.
 */
class InFlight<V> {
  readonly #pending = new Map<string, Promise<V>>();

  get(key: string): Promise<V> | undefined {
    return this.#pending.get(key);
  }

  /** Register `promise` for `key` until it settles. */
  add(key: string, promise: Promise<V>): void {
    this.#pending.set(key, promise);
    const done = () => {
      if (this.#pending.get(key) === promise) this.#pending.delete(key);
    };
    promise.then(done, done);
  }

  /** Lookups started before `forget()` keep their callers, but nobody new joins them. */
  clear(): void {
    this.#pending.clear();
  }
}

/** The catalog facts of one database. */
export class SqlCatalog {
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #relations = new Facts<RelationInfo | null>();
  readonly #closures = new Facts<readonly RelationInfo[]>();
  readonly #functions = new Facts<boolean>();
  readonly #resolving = new InFlight<RelationInfo | null>();
  readonly #closing = new InFlight<readonly RelationInfo[]>();
  readonly #checking = new InFlight<boolean>();
  #epoch = 0;

  constructor(ttlMs: number, clock: Clock) {
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  /** Counts `forget()` calls: a decision made at another epoch used facts that were forgotten since. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The catalog's clock (fact expiry instants are on it). */
  now(): number {
    return this.#clock.now();
  }

  /** The relation each name means under `schemas`; `undefined` where none exists. */
  async resolve(
    connection: LookupConnection,
    schemas: readonly string[],
    refs: readonly RelationRef[],
    validity?: FactValidity,
  ): Promise<Array<RelationInfo | undefined>> {
    const now = this.#clock.now();
    const path = schemas.join('\u0000');
    const keys = refs.map((ref) => `${path}\u0001${ref.schema ?? ''}\u0000${ref.name}`);
    const found: Array<{ readonly value: RelationInfo | null; readonly expiresAt: number } | undefined> =
      keys.map((key) => this.#relations.get(key, now));
    const missing = refs.flatMap((_, i) => (found[i] === undefined ? [i] : []));
    if (missing.length > 0) {
      // Names another caller is looking up already are awaited, not queried again.
      const own = missing.filter((i) => this.#resolving.get(keys[i] as string) === undefined);
      if (own.length > 0) {
        const epoch = this.#epoch;
        const looked = (async () =>
          resolveRelations(
            await connection(),
            schemas,
            own.map((i) => refs[i] as RelationRef),
          ))();
        for (const [n, i] of own.entries()) {
          const key = keys[i] as string;
          const value = looked.then((values) => {
            const fact = values[n] ?? null;
            if (this.#epoch === epoch) this.#relations.set(key, fact, this.#clock.now() + this.#ttlMs);
            return fact;
          });
          this.#resolving.add(key, value);
        }
      }
      const values = await Promise.all(
        missing.map((i) => this.#resolving.get(keys[i] as string) as Promise<RelationInfo | null>),
      );
      for (const [n, i] of missing.entries())
        found[i] = { value: values[n] ?? null, expiresAt: now + this.#ttlMs };
    }
    return found.map((fact) => {
      if (validity !== undefined && fact !== undefined)
        validity.untilAt = Math.min(validity.untilAt, fact.expiresAt);
      return fact?.value ?? undefined;
    });
  }

  /** Every relation a read or write of `relations` touches (see relationClosure). */
  async closure(
    connection: LookupConnection,
    relations: readonly RelationInfo[],
    mode: 'read' | 'write',
    validity?: FactValidity,
  ): Promise<readonly RelationInfo[]> {
    if (relations.length === 0) return [];
    const now = this.#clock.now();
    const oids = [...new Set(relations.map((relation) => relation.oid))].sort();
    const key = `${mode}:${oids.join(',')}`;
    const known = this.#closures.get(key, now);
    if (known !== undefined) {
      if (validity !== undefined) validity.untilAt = Math.min(validity.untilAt, known.expiresAt);
      return known.value;
    }
    let pending = this.#closing.get(key);
    if (pending === undefined) {
      const epoch = this.#epoch;
      pending = (async () => {
        const value = Object.freeze(await relationClosure(await connection(), oids, mode));
        if (this.#epoch === epoch) this.#closures.set(key, value, this.#clock.now() + this.#ttlMs);
        return value;
      })();
      this.#closing.add(key, pending);
    }
    const value = await pending;
    if (validity !== undefined) validity.untilAt = Math.min(validity.untilAt, now + this.#ttlMs);
    return value;
  }

  /** Whether every function named is IMMUTABLE in `pg_proc` (every overload under `schemas`). */
  async immutable(
    connection: LookupConnection,
    schemas: readonly string[],
    names: readonly string[],
    validity?: FactValidity,
  ): Promise<boolean> {
    const now = this.#clock.now();
    const path = schemas.join('\u0000');
    const unknown = [...new Set(names)].filter(
      (name) => this.#functions.get(`${path}\u0001${name}`, now) === undefined,
    );
    const looked = new Map<string, boolean>();
    if (unknown.length > 0) {
      const own = unknown.filter((name) => this.#checking.get(`${path}\u0001${name}`) === undefined);
      if (own.length > 0) {
        const epoch = this.#epoch;
        const verdicts = (async () => immutableFunctions(await connection(), schemas, own))();
        for (const [i, name] of own.entries()) {
          const key = `${path}\u0001${name}`;
          this.#checking.add(
            key,
            verdicts.then((all) => {
              const verdict = all[i] === true;
              if (this.#epoch === epoch) this.#functions.set(key, verdict, this.#clock.now() + this.#ttlMs);
              return verdict;
            }),
          );
        }
      }
      const verdicts = await Promise.all(
        unknown.map((name) => this.#checking.get(`${path}\u0001${name}`) as Promise<boolean>),
      );
      for (const [i, name] of unknown.entries()) looked.set(name, verdicts[i] === true);
    }
    return names.every((name) => {
      if (looked.has(name)) {
        if (validity !== undefined) validity.untilAt = Math.min(validity.untilAt, now + this.#ttlMs);
        return looked.get(name) === true;
      }
      const fact = this.#functions.get(`${path}\u0001${name}`, now);
      if (validity !== undefined && fact !== undefined)
        validity.untilAt = Math.min(validity.untilAt, fact.expiresAt);
      return fact?.value === true;
    });
  }

  /** DDL ran: names may resolve elsewhere now, views may read other tables. */
  forget(): void {
    this.#epoch++;
    this.#relations.clear();
    this.#closures.clear();
    this.#functions.clear();
    this.#resolving.clear();
    this.#closing.clear();
    this.#checking.clear();
  }
}
