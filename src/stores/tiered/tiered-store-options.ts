/** Options of `tieredStore`, validated and resolved once into plain values. */

import type { BackoffDelays } from '../../core/backoff.js';
import { ShownAs } from '../../core/invalid-option.js';
import { optionChecks } from '../../core/option-checks.js';
import type { Bus, Store } from '../../core/store.js';
import type { BackoffOptions, Clock, Duration } from '../../core/types.js';
import { type MemoryStore, memoryStore } from '../memory/memory-store.js';
import type { HeartbeatOptions, HeartbeatTiming } from './heartbeat.js';

/** Options of `tieredStore`. */
export interface TieredStoreOptions {
  /**
   * The shared tier every process reads and writes, normally `redisStore()`.
   * The tiered store owns it: `close()` closes it.
   */
  readonly l2: Store;
  /**
   * The local tier. Its operations must be synchronous (the coherence rules
   * rely on an L1 update happening in one step), which `memoryStore()` is. The
   * tiered store owns it: `close()` closes it.
   * @default memoryStore() (100 000 entries, 64 MiB)
   */
  readonly l1?: MemoryStore;
  /**
   * Where invalidations are published and heard.
   * @default l2.bus (required when the L2 store has none)
   */
  readonly bus?: Bus;
  /**
   * The bus channel. Processes that share data must share a channel; give
   * unrelated apps on one Redis their own so they do not hear each other.
   * @default 'larder:tiered'
   */
  readonly channel?: string;
  /**
   * The longest an L1 entry lives, whatever L2's TTL. It bounds how long a
   * process can serve a value whose invalidation it never received (a message
   * lost in flight, or a writer that died between its L2 write and its
   * publish, where they are two steps: see docs/tiered.md).
   * @default '60s'
   */
  readonly l1MaxTtl?: Duration;
  /**
   * Backoff of subscribing again after a failed subscribe, and of publishing
   * again after a failed publish (with jitter: each wait is 50–100% of the step).
   * @default { initialDelay: 100, maxDelay: '5s' }
   */
  readonly retry?: BackoffOptions;
  /**
   * Keys (and prefixes) of unpublished invalidations held for retry. Past it
   * they collapse into one "drop every L1 entry" message: never lost, only
   * coarser.
   * @default 10_000
   */
  readonly maxPendingKeys?: number;
  /**
   * Keys remembered per burst of concurrent L2 reads to detect a fill that an
   * invalidation overtook; past it the check turns conservative (more fills
   * are skipped), never unsafe.
   * @default 10_000
   */
  readonly maxTrackedKeys?: number;
  /**
   * Publish an empty message every `interval` and quarantine L1 when none of
   * this store's own messages has come back for `timeout`: it catches a
   * subscription that died without the connection noticing (a partition with
   * no reset). `false` turns it off (then only `l1MaxTtl` bounds that case).
   * @default { interval: '1s', timeout: '5s' }
   */
  readonly heartbeat?: HeartbeatOptions | false;
  /** Time source for message instants and lag (and of the default L1). @default Date */
  readonly clock?: Clock;
  /** Randomness for retry jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The options, resolved. */
export interface ResolvedTieredOptions {
  readonly l1: MemoryStore;
  readonly l2: Store;
  readonly bus: Bus;
  readonly channel: string;
  readonly l1MaxTtlMs: number;
  readonly retry: BackoffDelays;
  readonly maxPendingKeys: number;
  readonly maxTrackedKeys: number;
  readonly heartbeat: HeartbeatTiming | undefined;
  readonly clock: Clock;
  readonly random: () => number;
}

const check = optionChecks('tieredStore');
const { invalid } = check;

function count(option: string, value: number): number {
  return check.integer(option, value, 1);
}

function resolveHeartbeat(heartbeat: HeartbeatOptions): HeartbeatTiming {
  const intervalMs = check.duration('heartbeat.interval', heartbeat.interval, 1_000, 1);
  const timeoutMs = check.duration(
    'heartbeat.timeout',
    heartbeat.timeout,
    Math.max(5_000, 2 * intervalMs),
    1,
  );
  if (timeoutMs <= intervalMs)
    throw invalid('heartbeat.timeout', `more than heartbeat.interval (${intervalMs} ms)`, heartbeat.timeout);
  return Object.freeze({ intervalMs, timeoutMs });
}

function isStore(value: unknown): value is Store {
  const store = value as Partial<Store> | null | undefined;
  return (
    typeof store?.get === 'function' &&
    typeof store.set === 'function' &&
    typeof store.add === 'function' &&
    typeof store.delete === 'function' &&
    typeof store.clear === 'function'
  );
}

/** Validate `options` and fill in the defaults; throws `E_INVALID_OPTION`. */
export function resolveTieredOptions(options: TieredStoreOptions): ResolvedTieredOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const { l2 } = options;
  if (!isStore(l2)) throw invalid('l2', 'a Store (redisStore(), ...)', l2);
  if (options.l1 !== undefined && !isStore(options.l1)) throw invalid('l1', 'a memoryStore()', options.l1);
  if (options.l1 !== undefined && (options.l1 as Store) === l2)
    throw invalid('l1', 'a different store than l2', new ShownAs('the same store'));
  const bus = options.bus ?? l2.bus;
  if (typeof bus?.publish !== 'function' || typeof bus.subscribe !== 'function')
    throw invalid(
      'bus',
      `given, since the L2 store (${l2.name}) has no bus to carry invalidations ` +
        '(pass one, or use an L2 that has one, such as redisStore())',
      options.bus,
    );
  const channel = options.channel ?? 'larder:tiered';
  if (typeof channel !== 'string' || channel.length === 0)
    throw invalid('channel', 'a non-empty string', channel);
  const clock = options.clock ?? Date;
  if (typeof clock?.now !== 'function') throw invalid('clock', 'an object with now()', clock);
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw invalid('random', 'a function returning [0, 1)', random);
  const initialDelayMs = check.duration('retry.initialDelay', options.retry?.initialDelay, 100, 1);
  const maxDelayMs = check.duration(
    'retry.maxDelay',
    options.retry?.maxDelay,
    Math.max(5_000, initialDelayMs),
    1,
  );
  if (maxDelayMs < initialDelayMs)
    throw invalid(
      'retry.maxDelay',
      `at least retry.initialDelay (${initialDelayMs} ms)`,
      options.retry?.maxDelay,
    );
  const l1MaxTtlMs = check.duration('l1MaxTtl', options.l1MaxTtl, 60_000, 1);
  const maxPendingKeys = count('maxPendingKeys', options.maxPendingKeys ?? 10_000);
  const maxTrackedKeys = count('maxTrackedKeys', options.maxTrackedKeys ?? 10_000);
  const heartbeat = options.heartbeat === false ? undefined : resolveHeartbeat(options.heartbeat ?? {});
  return Object.freeze({
    // Created last, once nothing can throw any more.
    l1: options.l1 ?? memoryStore(options.clock === undefined ? {} : { clock: options.clock }),
    l2,
    bus,
    channel,
    l1MaxTtlMs,
    retry: Object.freeze({ initialDelayMs, maxDelayMs }),
    maxPendingKeys,
    maxTrackedKeys,
    heartbeat,
    clock,
    random,
  });
}
