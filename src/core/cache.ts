/**
 * The cache: Django's cache contract over a byte store, through the fail-fast
 * guard and key scopes. Batch operations live in cache-batch.ts; shared state
 * and the failure policy in cache-context.ts.
 */
import { deleteMany, getMany, setMany } from './cache-batch.js';
import {
  closeShared,
  handleFailure,
  journalFailure,
  type Shared,
  supersede,
  supersedeCovered,
} from './cache-context.js';
import { checkDelta, incrBy, moveVersion } from './cache-counters.js';
import { collectDependencies, collectedFor, INCOMPLETE } from './collect-dependencies.js';
import { type CasToken, compareAndSet, gets } from './compare-and-set.js';
import { currentScope, entryDependence } from './dependency-scope.js';
import { resolveTtl } from './duration.js';
import { type EntryEncoder, entryEncoder } from './entry-encoding.js';
import { entryTtl, touchEntry } from './entry-lifetime.js';
import { encodeEntry } from './envelope.js';
import { isStoreFailure, LarderError } from './errors.js';
import { channels } from './events.js';
import { type FragmentOptions, type FragmentRender, fragment } from './fragment.js';
import { type Factory, getOrSet } from './get-or-set.js';
import { KeyMemo } from './key-memo.js';
import { checkEncodable, checkKey, fitKey } from './keys.js';
import { optionChecks } from './option-checks.js';
import { checkTag, type ResolvedEntry, resolveEntry, resolveHints, resolveVersion } from './options.js';
import type { FragmentVaryValue } from './python-str.js';
import { classifyBytes, countRead, failedRead, readEntry, readStored } from './read-entry.js';
import { type KeyScope, namespaceScope, rootScope } from './scope.js';
import type { StoreHints } from './store.js';
import type {
  AddResult,
  Cache,
  CacheEvents,
  CacheStats,
  CasRead,
  Dependencies,
  Duration,
  EntryOptions,
  GetOrSetOptions,
  InvalidationResult,
  KeyOptions,
  ReadOptions,
  SetOptions,
  Ttl,
} from './types.js';

/** Checks of the arguments of calls that take a duration or a delta. */
const flushChecks = optionChecks('flushInvalidations');
const incrVersionChecks = optionChecks('incrVersion');
/** How long `flushInvalidations()` waits when no timeout is given. */
const FLUSH_TIMEOUT_MS = 5_000;

/** User keys whose stored form is remembered, per generation of the memo. */
const KEY_MEMO_SIZE = 10_000;

/** A cache (or a namespace view of one) over a shared store. */
export class LarderCache implements Cache {
  readonly prefix: string;
  readonly version: number;
  /** @internal shared with batch operations and namespace views */
  readonly shared: Shared;
  /** @internal true for a view made by `namespace()` (scan-keys.ts refuses those) */
  readonly namespaced: boolean;
  readonly #scope: KeyScope;
  /**
   * Stored keys of the root scope at the default version, by user key. Reusing
   * the same string also lets the engine reuse its hash in the store's lookup.
   * Bounded: emptied when full.
   */
  readonly #keyMemo: KeyMemo | undefined;

  constructor(shared: Shared, scope?: KeyScope, prefix?: string) {
    this.shared = shared;
    this.namespaced = scope !== undefined;
    this.#scope = scope ?? rootScope(shared.options);
    this.prefix = prefix ?? shared.options.prefix;
    this.version = shared.options.version;
    this.#keyMemo = scope === undefined ? new KeyMemo(KEY_MEMO_SIZE) : undefined;
  }

  /** The stored key for a user key (a promise inside a namespace). */
  storedKey(key: string, version: number): string | Promise<string> {
    if (this.shared.closed) throw new LarderError('E_CLOSED', 'the cache is closed');
    const memo = this.#keyMemo;
    if (memo !== undefined && version === this.version) {
      const known = memo.get(key);
      if (known !== undefined) return known;
    }
    if (typeof key !== 'string')
      throw new LarderError('E_INVALID_KEY', `a cache key must be a string (got ${typeof key})`);
    const prefix = this.#scope.current();
    if (memo !== undefined && version === this.version && typeof prefix === 'string') {
      const stored = this.#finishKey(key, prefix, version);
      memo.set(key, stored);
      return stored;
    }
    return typeof prefix === 'string'
      ? this.#finishKey(key, prefix, version)
      : prefix.then((p) => this.#finishKey(key, p, version));
  }

  /**
   * @internal Keep this view's namespace counters alive for an entry stored now
   * for `storeTtlMs` (TTL plus grace). Never rejects; nothing to do at the root.
   */
  keepScope(storeTtlMs: number | null): Promise<void> {
    return this.#scope.keep(storeTtlMs);
  }

  /** Extend the namespace counters in the background of a write (tracked, so idle() waits). */
  #keepScopeFor(entry: ResolvedEntry): void {
    if (this.#keyMemo !== undefined || entry.ttlMs === 0) return; // the root scope has no counter
    this.shared.work.track(this.#scope.keep(entry.ttlMs === null ? null : entry.ttlMs + entry.graceMs));
  }

  #finishKey(key: string, prefix: string, version: number): string {
    const { keyFunction, keyValidation } = this.shared.options;
    const stored = keyFunction(key, prefix, version);
    checkEncodable(stored);
    checkKey(stored, keyValidation);
    return fitKey(stored, prefix, version, this.shared.store.maxKeyBytes);
  }

  get<T = unknown>(key: string, options?: ReadOptions): Promise<T | undefined>;
  get<T = unknown, D = T>(key: string, options: ReadOptions & { readonly default: D }): Promise<T | D>;
  async get(key: string, options?: ReadOptions & { readonly default?: unknown }): Promise<unknown> {
    const shared = this.shared;
    const pending = this.storedKey(key, resolveVersion(options, shared.options));
    const storedKey = typeof pending === 'string' ? pending : await pending;
    const hints = options?.tiers === undefined ? undefined : resolveHints(options.tiers);
    // readEntry, with the store's promise awaited here: one await per Redis hit.
    let stored = readStored(shared, storedKey, hints, 'get');
    if (stored instanceof Promise) {
      try {
        stored = await stored;
      } catch (error) {
        stored = failedRead(shared, 'get', error);
      }
    }
    const pendingReading = classifyBytes(shared, stored, 'get');
    const reading = pendingReading instanceof Promise ? await pendingReading : pendingReading;
    if (!countRead(shared, this.prefix, 'get', reading)) return options?.default;
    // Inside a cached computation, a tagged hit is one of its dependencies.
    if (reading.meta !== undefined) currentScope()?.record(shared.tags.space, entryDependence(reading.meta));
    return reading.value;
  }

  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    const entry = resolveEntry(options, this.shared.options);
    const collected = collectedFor(this.shared, options?.dependencies);
    const pendingKey = this.storedKey(key, entry.version);
    const storedKey = typeof pendingKey === 'string' ? pendingKey : await pendingKey;
    const { store, guard } = this.shared;
    // Django: a zero or negative timeout stores nothing and removes the old
    // value. So do dependencies that cannot vouch for the value: the old one
    // is not known to be current either.
    if (entry.ttlMs === 0 || collected === INCOMPLETE) {
      await this.#deleteStored('set', storedKey, entry.hints);
      return;
    }
    supersede(this.shared, storedKey);
    const pending = entryEncoder(this.shared, entry, collected);
    let encode: EntryEncoder;
    try {
      encode = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      // Tag generations unreadable: storing without them would make the entry
      // uninvalidatable, and keeping the old value would lose this write.
      journalFailure(this.shared, 'set', error, (journal) => journal.recordKeys([storedKey]));
      return;
    }
    const { bytes, ttlMs } = encode(value);
    this.#keepScopeFor(entry);
    try {
      await guard.run('set', () => store.set(storedKey, bytes, ttlMs, entry.hints));
      this.shared.counters.sets++;
    } catch (error) {
      // The old value may still be stored, or this one may have landed: neither
      // is known to be current, so the key is deleted once the store answers.
      journalFailure(this.shared, 'set', error, (journal) => journal.recordKeys([storedKey]));
    }
  }

  async add(key: string, value: unknown, options?: EntryOptions): Promise<AddResult> {
    const entry = resolveEntry(options, this.shared.options);
    const storedKey = await this.storedKey(key, entry.version);
    // Django reports a zero-TTL add as stored although it keeps nothing.
    if (entry.ttlMs === 0) {
      encodeEntry(value, this.shared.options.codec); // still refuse what cannot be serialized
      return 'stored';
    }
    const { store, guard } = this.shared;
    this.#keepScopeFor(entry);
    try {
      const { bytes, ttlMs } = (await entryEncoder(this.shared, entry))(value);
      const result = await guard.run('add', () => store.add(storedKey, bytes, ttlMs, entry.hints));
      if (result === 'stored') this.shared.counters.sets++;
      return result;
    } catch (error) {
      handleFailure(this.shared, 'add', error);
      return 'unavailable';
    }
  }

  gets<T = unknown>(key: string, options?: KeyOptions): Promise<CasRead<T>> {
    return gets<T>(this, key, options);
  }

  compareAndSet(
    key: string,
    value: unknown,
    token: CasToken,
    options?: EntryOptions,
  ): Promise<'stored' | 'changed'> {
    return compareAndSet(this, key, value, token, options);
  }

  getOrSet<T>(key: string, factory: Factory<T>, options?: GetOrSetOptions): Promise<T> {
    return getOrSet(this, key, factory, options);
  }

  fragment(
    name: string,
    varyOn: readonly FragmentVaryValue[],
    ttl: Ttl,
    render: FragmentRender,
    options?: FragmentOptions,
  ): Promise<string> {
    return fragment(this, name, varyOn, ttl, render, options);
  }

  collectDependencies<T>(fn: () => T | Promise<T>): Promise<{ value: T; dependencies: Dependencies }> {
    return collectDependencies(this.shared, fn);
  }

  async invalidateTags(tags: Iterable<string>): Promise<InvalidationResult> {
    if (this.shared.closed) throw new LarderError('E_CLOSED', 'the cache is closed');
    const list = [...new Set(typeof tags === 'string' ? [tags] : tags)];
    for (const tag of list) checkTag(tag);
    if (list.length === 0) return 'stored';
    const { journal, tags: generations, invalidationGuard } = this.shared;
    const publish = (ok: boolean): void => {
      const channel = channels.invalidate;
      if (channel.hasSubscribers) channel.publish({ prefix: this.prefix, tags: list.length, ok });
    };
    // Held from now: the bump may land at any moment, and no local read may outlive it.
    journal.hold(list);
    supersedeCovered(this.shared, list);
    try {
      await generations.bump(list, invalidationGuard);
      publish(true);
      return 'stored';
    } catch (error) {
      publish(false);
      return journalFailure(this.shared, 'invalidateTags', error, (j) => j.recordTags(list));
    } finally {
      journal.release(list);
    }
  }

  flushInvalidations(timeout?: Duration): Promise<boolean> {
    const timeoutMs = flushChecks.duration('timeout', timeout, FLUSH_TIMEOUT_MS, 0);
    return this.shared.journal.flush(timeoutMs);
  }

  idle(): Promise<void> {
    return this.shared.work.idle();
  }

  getMany<T = unknown>(keys: Iterable<string>, options?: ReadOptions): Promise<Map<string, T>> {
    const hints = options?.tiers === undefined ? undefined : resolveHints(options.tiers);
    return getMany<T>(this, keys, resolveVersion(options, this.shared.options), hints);
  }

  async setMany(
    entries:
      | ReadonlyMap<string, unknown>
      | Readonly<Record<string, unknown>>
      | Iterable<readonly [string, unknown]>,
    options?: EntryOptions,
  ): Promise<string[]> {
    const entry = resolveEntry(options, this.shared.options);
    // A namespace's counter must exist before it is extended (a read creates it).
    const prefix = this.#keyMemo === undefined ? this.#scope.current() : undefined;
    if (prefix instanceof Promise) await prefix.catch(() => {}); // setMany reports a failing store itself
    this.#keepScopeFor(entry);
    return setMany(this, entries, entry);
  }

  deleteMany(keys: Iterable<string>, options?: KeyOptions): Promise<number | 'journaled'> {
    return deleteMany(this, keys, resolveVersion(options, this.shared.options));
  }

  async delete(key: string, options?: ReadOptions): Promise<boolean | 'journaled'> {
    // Not awaited when it need not be: the delete reaches the store in this
    // tick, before a get issued right after it (as get's own read does).
    const pending = this.storedKey(key, resolveVersion(options, this.shared.options));
    const storedKey = typeof pending === 'string' ? pending : await pending;
    return this.#deleteStored('delete', storedKey, resolveHints(options?.tiers));
  }

  /** Delete one stored key through the invalidation guard; journaled when the store fails. */
  async #deleteStored(
    operation: string,
    storedKey: string,
    hints: StoreHints | undefined,
  ): Promise<boolean | 'journaled'> {
    const { store, invalidationGuard } = this.shared;
    supersede(this.shared, storedKey);
    try {
      const existed = await invalidationGuard.run(operation, () => store.delete(storedKey, hints));
      if (existed) this.shared.counters.deletes++;
      return existed;
    } catch (error) {
      return journalFailure(this.shared, operation, error, (journal) => journal.recordKeys([storedKey]));
    }
  }

  async has(key: string, options?: ReadOptions): Promise<boolean> {
    // Django's has_key: get(key) is not a miss. A GET rather than EXISTS, so an
    // invalidated, stale or corrupt entry is absent here as it is for get.
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    const hints = options?.tiers === undefined ? undefined : resolveHints(options.tiers);
    const reading = await readEntry(this.shared, storedKey, hints, 'has');
    return countRead(this.shared, this.prefix, 'has', reading);
  }

  async incr(key: string, delta = 1, options?: KeyOptions): Promise<number> {
    checkDelta(delta);
    return incrBy(
      this.shared,
      await this.storedKey(key, resolveVersion(options, this.shared.options)),
      delta,
    );
  }

  async decr(key: string, delta = 1, options?: KeyOptions): Promise<number> {
    checkDelta(delta);
    return incrBy(
      this.shared,
      await this.storedKey(key, resolveVersion(options, this.shared.options)),
      -delta,
    );
  }

  async touch(key: string, ttl?: Ttl, options?: KeyOptions): Promise<boolean> {
    const ttlMs = resolveTtl(ttl, this.shared.options.defaultTtlMs);
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    // A zero TTL expires the key at once, as Django's touch(key, 0) does.
    if (ttlMs === 0) return (await this.#deleteStored('touch', storedKey, undefined)) === true;
    return touchEntry(this.shared, storedKey, ttlMs);
  }

  async ttl(key: string, options?: KeyOptions): Promise<number | null | undefined> {
    const storedKey = await this.storedKey(key, resolveVersion(options, this.shared.options));
    return entryTtl(this.shared, storedKey);
  }

  async incrVersion(key: string, delta = 1, options?: KeyOptions): Promise<number> {
    // A version is an integer: `k + 0.5` is a key no get() can ask for.
    checkDelta(delta);
    const version = resolveVersion(options, this.shared.options);
    if (!Number.isSafeInteger(version + delta))
      throw incrVersionChecks.invalid(
        'delta',
        `an integer that keeps version ${version} a safe integer`,
        delta,
      );
    const [from, to] = await Promise.all([
      this.storedKey(key, version),
      this.storedKey(key, version + delta),
    ]);
    return moveVersion(this.shared, key, { from, to, version, next: version + delta });
  }

  async decrVersion(key: string, delta = 1, options?: KeyOptions): Promise<number> {
    checkDelta(delta);
    return this.incrVersion(key, -delta, options);
  }

  async clear(): Promise<InvalidationResult> {
    if (this.shared.closed) throw new LarderError('E_CLOSED', 'the cache is closed');
    const scope = this.#scope;
    const { invalidationGuard, replayGuard } = this.shared;
    supersedeCovered(this.shared, undefined);
    try {
      await scope.clear(invalidationGuard);
      return 'stored';
    } catch (error) {
      if (isStoreFailure(error)) await scope.journalClear(this.shared.journal, replayGuard);
      return journalFailure(this.shared, 'clear', error, () => {});
    }
  }

  namespace(name: string): Cache {
    if (typeof name !== 'string')
      throw new LarderError('E_INVALID_NAMESPACE', 'a namespace name must be a string');
    return new LarderCache(
      this.shared,
      namespaceScope(this.#scope, name, this.shared.options, this.shared.guard, this.shared.tags.lives),
      `${this.prefix}/${name}`,
    );
  }

  on<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    return this.shared.events.on(event, listener);
  }

  stats(): CacheStats {
    return Object.freeze({
      ...this.shared.counters,
      pendingInvalidations: this.shared.journal.pendingCount,
      breaker: this.shared.guard.state,
      invalidationBreaker: this.shared.invalidationGuard.state,
    });
  }

  close(): Promise<void> {
    return closeShared(this.shared);
  }
}
