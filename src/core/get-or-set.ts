/**
 * `getOrSet`: read, and on a miss or a stale entry compute the value once.
 *
 * - Single flight: concurrent calls for one stored key in this process share one
 *   factory run (`shared.flights`); across processes, a lease in the store
 *   (lease.ts) lets one process compute while the others wait for its value.
 * - Grace: an entry past its TTL but within its grace is served at once (or
 *   after `timeout.soft`) while one caller refreshes it in the background.
 * - Fail-safe: when the factory throws or passes `timeout.hard`, a stale value
 *   is served instead, and this process waits `failSafeBackoff` before trying
 *   that key again.
 * - Early refresh (XFetch): a fresh hit near its expiry refreshes in the
 *   background with a probability that grows with the value's compute time.
 * - Tags: their generations are read before the factory runs and stored with
 *   the entry, so an invalidation during the computation makes it a miss.
 * - Dependencies (dependency-scope.ts): the factory runs in a scope of its
 *   own, where nested tagged reads record their tags and generations; the
 *   entry is stored with them too. Every caller, whatever answered it (a hit,
 *   its own flight, another's, a stale value), records what that value
 *   depends on in its own scope.
 * - Storing in the background (an internal option, store-in-background.ts):
 *   callers get the value as soon as it is computed; the flight stays
 *   joinable until its store finished.
 */
import type { LarderCache } from './cache.js';
import type { FlightState } from './cache-context.js';
import { reportError, type Shared } from './cache-context.js';
import type { RefreshTrigger, StaleReason } from './channel-payloads.js';
import {
  currentScope,
  type Dependence,
  DependencyScope,
  entryDependence,
  mergeDependence,
  type Recorded,
  runInScope,
} from './dependency-scope.js';
import { sharedRead } from './entry-read.js';
import type { PrefetchedGenerations } from './entry-state.js';
import { type DecodedEntry, encodeEntry, encodeEntryInBackground } from './envelope.js';
import { LarderError } from './errors.js';
import { channels } from './events.js';
import { backingOff, backOff } from './fail-safe-backoff.js';
import { afterCallersWrites, fillMeta, keepCounters, storeTtl, writeFill } from './fill-write.js';
import { takeLease } from './lease.js';
import { type ResolvedGetOrSet, resolveGetOrSet } from './options.js';
import { countRead, isFresh, readEntry } from './read-entry.js';
import { settleWithin, withHardTimeout } from './settle-within.js';
import { toLarderError } from './store-guard.js';
import type { FactoryContext, GetOrSetOptions } from './types.js';

/** A factory, or a plain value to store on a miss. */
export type Factory<T> = T | ((context: FactoryContext<T>) => T | Promise<T>);

/** A flight that found another process refreshing: serve the stale value. */
const BUSY: unique symbol = Symbol('busy');

/** A flight's value and what it depends on, for each caller to record in its own scope. */
interface Computed {
  readonly value: unknown;
  readonly dependence: Dependence;
}
type FlightResult = Computed | typeof BUSY;

const NOTHING_COLLECTED: Recorded = Object.freeze({ tags: [], generations: [] });

/** Why a factory runs: nothing stored, an invalidated entry, a stale one, or an early refresh. */
type Trigger = RefreshTrigger;

/** One factory run: what it computes, for which key, and why. */
interface Plan<T> {
  readonly shared: Shared;
  readonly storedKey: string;
  readonly factory: Factory<T>;
  readonly call: ResolvedGetOrSet;
  /** The entry being replaced (stale, or fresh for an early refresh), if any. */
  readonly found: DecodedEntry | undefined;
  readonly trigger: Trigger;
  /** The tag generations read with the entry, before the factory: the fill's snapshot when complete. */
  readonly prefetched: PrefetchedGenerations | undefined;
  /** The cache (or namespace view) called: its scope's counters must outlive the entry. */
  readonly cache: LarderCache;
}

/**
 * A flight that stores in the background: the tag generations its value is
 * computed under (once known), and its store while that runs.
 */
interface BackgroundFlight {
  readonly tags: readonly string[] | undefined;
  /** It replaces an outdated flight, whose store must not keep this one's out. */
  readonly overwrite: boolean;
  snapshot: readonly number[] | undefined;
  storing: Promise<void> | undefined;
}

/** Flights that store in the background, by their promise (the entries of `shared.flights`). */
const backgroundFlights = new WeakMap<Promise<unknown>, BackgroundFlight>();

/** The body of `LarderCache.getOrSet`. */
export async function getOrSet<T>(
  cache: LarderCache,
  key: string,
  factory: Factory<T>,
  options: GetOrSetOptions | undefined,
): Promise<T> {
  // Without a factory there is nothing to store on a miss (it used to store `undefined`).
  if (factory === undefined)
    throw new LarderError(
      'E_INVALID_ARGUMENT',
      'getOrSet(key, factory): the factory (a function or a value to store on a miss) is missing',
    );
  const shared = cache.shared;
  const call = resolveGetOrSet(options, shared.options);
  const pending = cache.storedKey(key, call.version);
  const storedKey = typeof pending === 'string' ? pending : await pending;
  const pendingRead = sharedRead(shared, storedKey, call);
  const { reading, prefetched } = pendingRead instanceof Promise ? await pendingRead : pendingRead;
  // Counted per call, although concurrent calls share one store read.
  const resolved = shared.options;
  if (countRead(shared, cache.prefix, 'getOrSet', reading)) {
    if (refreshEarly(reading, call.beta, resolved.clock.now(), resolved.random))
      joinOrStart({ shared, storedKey, factory, call, found: reading, trigger: 'early', prefetched, cache });
    // A hit depends on what it was validated against: its recorded generations.
    if (reading.meta !== undefined) currentScope()?.record(shared.tags.space, entryDependence(reading.meta));
    return reading.value as T;
  }
  if (typeof reading === 'string') {
    // Something is stored that may not be served (invalid, corrupt, or
    // tombstoned): the fill must overwrite it, not add beside it.
    const trigger = reading === 'absent' || reading === 'unavailable' ? 'miss' : 'invalid';
    const flight = joinOrStart({
      shared,
      storedKey,
      factory,
      call,
      found: undefined,
      trigger,
      prefetched,
      cache,
    });
    return served(shared, (await withHardTimeout(flight, call.hardMs)) as Computed) as T;
  }
  return serveStale({
    shared,
    storedKey,
    factory,
    call,
    found: reading.entry,
    trigger: 'stale',
    prefetched,
    cache,
  });
}

/** A stale entry is at hand: refresh it, serving the stale value when that fails or takes too long. */
async function serveStale<T>(plan: Plan<T> & { readonly found: DecodedEntry }): Promise<T> {
  const { shared, storedKey, call, found } = plan;
  if (backingOff(shared, storedKey)) return staleServed(shared, found, 'fail-safe');
  const flight = joinOrStart(plan);
  // No soft limit: stale-while-revalidate, the refresh finishes in the background.
  if (call.softMs === 0) return staleServed(shared, found, 'grace');
  const limitMs = call.hardMs === undefined ? call.softMs : Math.min(call.softMs, call.hardMs);
  const outcome = await settleWithin(flight, limitMs);
  if (outcome.kind === 'value') {
    return outcome.value === BUSY
      ? staleServed(shared, found, 'lease-held')
      : (served(shared, outcome.value as Computed) as T);
  }
  if (outcome.kind === 'error') return staleServed(shared, found, 'fail-safe');
  return staleServed(shared, found, limitMs === call.softMs ? 'soft-timeout' : 'hard-timeout');
}

/** A flight's value, its dependencies recorded in the caller's scope. */
function served(shared: Shared, computed: Computed): unknown {
  currentScope()?.record(shared.tags.space, computed.dependence);
  return computed.value;
}

function staleServed<T>(shared: Shared, entry: DecodedEntry, reason: StaleReason): T {
  // Stale by time, not by tag: it depends on what it was validated against.
  currentScope()?.record(shared.tags.space, entryDependence(entry.meta));
  const value = entry.value as T;
  shared.counters.staleServed++;
  const channel = channels.staleServed;
  if (channel.hasSubscribers) channel.publish({ prefix: shared.options.prefix, reason });
  return value;
}

/**
 * The flight for `storedKey`: the one in progress (counted as coalesced when a
 * caller joins it), or a new one — lease, compute, store — tracked as
 * background work so that `idle()` and `close()` can wait for it.
 */
function joinOrStart<T>(plan: Plan<T>): Promise<FlightResult> {
  const running = plan.shared.flights.get(plan.storedKey);
  const background = running === undefined ? undefined : backgroundFlights.get(running);
  const prefetched = plan.prefetched;
  // A background flight's value may be older than what this caller must see: it
  // is kept joinable while it stores, a window that ends one round trip later.
  if (background?.snapshot !== undefined && prefetched !== undefined && plan.trigger !== 'early') {
    const current = prefetched.generations;
    return current instanceof Promise
      ? current.then((settled) => joinOrStartNow(plan, settled))
      : joinOrStartNow(plan, current);
  }
  return joinOrStartNow(plan, undefined);
}

/**
 * `joinOrStart`, given the tag generations this caller read (when it must
 * check that the flight in progress is not older than an invalidation it saw).
 */
function joinOrStartNow<T>(
  plan: Plan<T>,
  current: ReadonlyArray<number | undefined> | undefined,
): Promise<FlightResult> {
  const { shared, storedKey, trigger } = plan;
  const running = shared.flights.get(storedKey);
  const runningBackground = running === undefined ? undefined : backgroundFlights.get(running);
  const outdatedFlight =
    (running !== undefined && shared.flightStates.get(running)?.superseded === true) ||
    (runningBackground !== undefined && plan.prefetched !== undefined
      ? outdated(runningBackground, plan.prefetched.tags, current)
      : false);
  if (running !== undefined && !outdatedFlight) {
    // An early refresh joins silently: its caller already has its value.
    if (trigger !== 'early') {
      shared.counters.coalesced++;
      if (channels.coalesced.hasSubscribers) channels.coalesced.publish({ prefix: shared.options.prefix });
    }
    return running as Promise<FlightResult>;
  }
  const background: BackgroundFlight | undefined = plan.call.storeInBackground
    ? { tags: plan.call.tags, overwrite: outdatedFlight, snapshot: undefined, storing: undefined }
    : undefined;
  const state: FlightState = { superseded: false, tags: plan.call.tags };
  const flight = fly(plan, background, state);
  // A newer flight takes the key over; the outdated one still finishes (its entry will read as invalid).
  shared.flights.set(storedKey, flight);
  shared.flightStates.set(flight, state);
  if (background !== undefined) backgroundFlights.set(flight, background);
  const unregister = (): void => {
    if (shared.flights.get(storedKey) === flight) shared.flights.delete(storedKey);
  };
  const done = (): void => {
    const storing = background?.storing;
    if (storing === undefined) unregister();
    else void storing.then(unregister);
  };
  flight.then(done, done);
  shared.work.track(flight);
  return flight;
}

/**
 * Whether a tag generation this caller read differs from the one the flight's
 * value is computed under: an invalidation came in between, so the flight's
 * value may predate a write this caller must see. A counter the caller could
 * not read tells nothing either way.
 */
function outdated(
  flight: BackgroundFlight,
  tags: readonly string[],
  current: ReadonlyArray<number | undefined> | undefined,
): boolean {
  const snapshot = flight.snapshot;
  if (snapshot === undefined || current === undefined || flight.tags === undefined) return false;
  if (flight.tags.length !== tags.length || flight.tags.some((tag, i) => tag !== tags[i])) return false;
  return current.some((generation, i) => generation !== undefined && generation !== snapshot[i]);
}

async function fly<T>(
  plan: Plan<T>,
  background: BackgroundFlight | undefined,
  state: FlightState,
): Promise<FlightResult> {
  const { shared, storedKey, call, found } = plan;
  const lease = call.lock
    ? await takeLease(shared, storedKey, found !== undefined, async () => {
        const now = await readEntry(shared, storedKey, call.hints, 'getOrSet');
        // A refresh is done only when a fresh entry replaced the one we found.
        return isFresh(now) && now !== found ? { value: now } : undefined;
      })
    : undefined;
  if (lease?.kind === 'value') return fromEntry(lease.value as DecodedEntry);
  if (lease?.kind === 'busy') return BUSY;
  try {
    return await compute(plan, background, state);
  } finally {
    if (lease?.kind === 'held') {
      // Released once the value is stored, so that the processes waiting for it find it.
      const storing = background?.storing;
      if (storing === undefined) await lease.release();
      else shared.work.track(storing.then(lease.release));
    }
  }
}

/** A value read from the store, fresh: it depends on the generations it was validated against. */
function fromEntry(entry: DecodedEntry): Computed {
  return { value: entry.value, dependence: entryDependence(entry.meta) };
}

/**
 * Call the factory in a dependency scope of its own and store its value with
 * the tag generations read before it ran, its own and those it collected.
 */
async function compute<T>(
  plan: Plan<T>,
  background: BackgroundFlight | undefined,
  state: FlightState,
): Promise<Computed> {
  const { shared, storedKey, factory, call, found, trigger } = plan;
  const { counters, options } = shared;
  const tags = call.tags;
  let generations: number[] | undefined;
  let storable = call.ttlMs !== 0;
  if (tags !== undefined && storable) {
    // Read BEFORE the source is read: an invalidation from here on changes them.
    // The generations read with the entry qualify (also before the factory);
    // missing counters must be created, which snapshot() does.
    const ahead = plan.prefetched?.tags === tags ? await plan.prefetched.generations : undefined;
    generations =
      ahead?.every((generation) => generation !== undefined) === true
        ? (ahead as number[])
        : await shared.tags.snapshot(tags, storeTtl(call)).catch(() => undefined);
    storable = generations !== undefined;
    if (background !== undefined) background.snapshot = generations;
  }
  counters.factoryCalls++;
  const startedAt = options.clock.now();
  // Not collecting, the factory still runs outside its callers' scopes: what
  // it reads is not theirs to record (they record this entry's dependence).
  const scope = call.collect ? new DependencyScope(shared.tags.space) : undefined;
  let value: T;
  let awaited = false;
  try {
    const run = (): T | PromiseLike<T> =>
      (factory as (context: FactoryContext<T>) => T | PromiseLike<T>)({
        stale: found?.value as T | undefined,
      });
    // Outside every scope and not collecting, no AsyncLocalStorage is entered
    // at all: a process that never collects never turns its promise hooks on.
    const produced =
      typeof factory !== 'function'
        ? factory
        : scope === undefined && currentScope() === undefined
          ? run()
          : runInScope(scope, run);
    // A value computed synchronously is stored in the same tick it was read in:
    // no write committed and invalidated between the two can slip in and be
    // overwritten by it. (Thenables — a query builder — are awaited.)
    awaited = isThenable(produced);
    value = awaited ? await produced : (produced as T);
  } catch (error) {
    counters.factoryErrors++;
    finished(shared, trigger, startedAt, false, false);
    if (found !== undefined) {
      // A stale value will be served instead (fail-safe): say so, and give the source a rest.
      backOff(shared, storedKey);
      shared.events.error({
        operation: 'getOrSet',
        code: 'E_FACTORY_FAILED',
        error: new LarderError('E_FACTORY_FAILED', 'getOrSet: the factory failed; serving the stale value', {
          cause: error,
        }),
      });
    }
    throw error;
  }
  const createdAt = options.clock.now();
  // Explicit tags with their snapshot, plus the collected ones with theirs.
  // Unknown when a snapshot failed or the scope was spoiled: then not stored,
  // and every scope that records this value is spoiled in turn.
  const explicit = tags === undefined || generations === undefined ? undefined : { tags, generations };
  const complete = (tags === undefined || generations !== undefined) && scope?.complete !== false;
  const recorded = complete ? mergeDependence(explicit, scope?.recorded() ?? NOTHING_COLLECTED) : undefined;
  const dependence: Dependence =
    recorded === undefined ? 'unknown' : recorded.tags.length === 0 ? 'none' : recorded;
  if (!complete) storable = false;
  const own: Computed = { value, dependence };
  let stored = false;
  if (state.superseded && background === undefined) {
    // A write or invalidation of this key in this process came in while the
    // factory ran: its value may predate that write, so it is not stored over
    // it. Like an add that lost, the callers get what the writer stored when
    // it is there to read (Django's get_or_set), else this value.
    finished(shared, trigger, startedAt, true, false);
    if (!storable) return own;
    const theirs = await readEntry(shared, storedKey, call.hints, 'getOrSet');
    return isFresh(theirs) ? fromEntry(theirs) : own;
  }
  // A background flight's callers already have its value; superseded, it stores nothing.
  if (state.superseded) storable = false;
  if (storable && background !== undefined) {
    // The callers resume first; the entry is encoded and written after them.
    // A value read synchronously is stored in this tick all the same (a
    // microtask: no I/O, so no invalidation, comes in between); one that was
    // awaited waits for the callers' continuations and the commands they send
    // next (afterCallersWrites), so encoding a large result never sits on
    // their path.
    const storing = (awaited ? afterCallersWrites() : Promise.resolve())
      .then(() => storeBehind(plan, background, state, value, recorded, startedAt, createdAt))
      .then(
        (stored) => finished(shared, trigger, startedAt, true, stored),
        // Reported by write(); the callers already have their value.
        () => finished(shared, trigger, startedAt, true, false),
      );
    background.storing = storing;
    shared.work.track(storing);
    return own;
  }
  if (storable) {
    const meta = fillMeta(call, value, recorded, startedAt, createdAt);
    const bytes = encodeEntry(value, shared.options.codec, meta);
    const storeTtlMs = storeTtl(call);
    // The counters this entry depends on must outlive it: extended alongside
    // its write (no extra round trip in sequence), never failing the fill.
    shared.work.track(keepCounters(shared, plan.cache, meta?.tags, storeTtlMs));
    // Add where nothing was stored (a writer that stored meanwhile wins); overwrite what we replace.
    const winner = await writeFill(shared, storedKey, bytes, storeTtlMs, call.hints, trigger === 'miss');
    if (winner !== undefined) {
      finished(shared, trigger, startedAt, true, false);
      return winner.entry === undefined
        ? { value: winner.value, dependence: 'unknown' }
        : fromEntry(winner.entry);
    }
    stored = true;
  }
  finished(shared, trigger, startedAt, true, stored);
  return own;
}

/**
 * Store a background flight's value, its callers already answered: unless a
 * local write superseded it meanwhile. An encoding failure is reported, not
 * thrown (nobody awaits it). Resolves whether it was stored.
 */
async function storeBehind<T>(
  plan: Plan<T>,
  background: BackgroundFlight,
  state: FlightState,
  value: T,
  recorded: Recorded | undefined,
  startedAt: number,
  createdAt: number,
): Promise<boolean> {
  const { shared, storedKey, call, trigger } = plan;
  if (state.superseded) return false;
  let bytes: Uint8Array;
  let tags: readonly string[] | undefined;
  try {
    const meta = fillMeta(call, value, recorded, startedAt, createdAt);
    tags = meta?.tags;
    bytes = await encodeEntryInBackground(value, shared.options.codec, meta);
  } catch (error) {
    reportError(shared, 'getOrSet', toLarderError(error, 'getOrSet'));
    return false;
  }
  // Compression ran off the event loop: a local write may have superseded it meanwhile.
  if (state.superseded) return false;
  const storeTtlMs = storeTtl(call);
  shared.work.track(keepCounters(shared, plan.cache, tags, storeTtlMs));
  const absent = trigger === 'miss' && !background.overwrite;
  const winner = await writeFill(shared, storedKey, bytes, storeTtlMs, call.hints, absent, false);
  return winner === undefined;
}

function finished(shared: Shared, trigger: Trigger, startedAt: number, ok: boolean, stored: boolean): void {
  if (!channels.refresh.hasSubscribers) return;
  channels.refresh.publish({
    prefix: shared.options.prefix,
    trigger,
    durationMs: shared.options.clock.now() - startedAt,
    ok,
    stored,
  });
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * XFetch (Vattani et al., "Optimal Probabilistic Cache Stampede Prevention"):
 * refresh when `now - computeMs * beta * ln(u) >= staleAt`, u uniform in (0, 1].
 * The closer to expiry and the slower the value was to compute, the likelier.
 */
export function refreshEarly(entry: DecodedEntry, beta: number, now: number, random: () => number): boolean {
  const meta = entry.meta;
  if (beta <= 0 || meta?.staleAt === undefined || !meta.computeMs) return false;
  return now - meta.computeMs * beta * Math.log(1 - random()) >= meta.staleAt;
}
