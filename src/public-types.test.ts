/**
 * Type tests of the public generics: this file must type-check (`npm run
 * typecheck`), and each `@ts-expect-error` must stay an error.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type {
  AddResult,
  Cache,
  CacheOptions,
  CHANNELS,
  ChannelPayloads,
  Dependencies,
  Duration,
  InvalidationResult,
  Ttl,
} from './index.js';
import { createCache } from './index.js';
import type { SQL_CHANNELS, SqlChannelPayloads } from './sql/index.js';
import type { Store } from './store/index.js';
import { memoryStore } from './stores/memory/index.js';

// @ts-expect-error the store contract is for store authors: it lives in larder/store, not larder
type NotInLarder = import('./index.js').Store;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T): void => {};

interface User {
  readonly id: number;
  readonly name: string;
}

async function typeChecks(cache: Cache): Promise<void> {
  const got = await cache.get<User>('k');
  expectType<Equal<typeof got, User | undefined>>(true);
  const withDefault = await cache.get<User, null>('k', { default: null });
  expectType<Equal<typeof withDefault, User | null>>(true);
  const computed = await cache.getOrSet('k', async () => ({ id: 1, name: 'a' }) as User);
  expectType<Equal<typeof computed, User>>(true);
  const plain = await cache.getOrSet('k', 42);
  expectType<Equal<typeof plain, number>>(true);
  const refreshed = await cache.getOrSet<User>(
    'k2',
    ({ stale }) => {
      expectType<Equal<typeof stale, User | undefined>>(true);
      return stale ?? ({ id: 2, name: 'b' } as User);
    },
    { ttl: '1m', grace: '10m', tags: ['user:2'], lock: false, timeout: { soft: 50, hard: '2s' }, beta: 1 },
  );
  expectType<Equal<typeof refreshed, User>>(true);
  expectType<Equal<Awaited<ReturnType<Cache['invalidateTags']>>, InvalidationResult>>(true);
  expectType<Equal<Awaited<ReturnType<Cache['delete']>>, boolean | 'journaled'>>(true);
  await cache.get('k', { tiers: { l1: false } });
  // Type errors only: never called.
  const wrongOptions = () => [
    // @ts-expect-error tags are a list
    cache.set('k3', 1, { tags: 'user:1' }),
    // @ts-expect-error lock is a getOrSet option
    cache.set('k3', 1, { lock: false }),
    // @ts-expect-error ttl cannot be confined to one tier
    cache.ttl('k3', { tiers: { l1: false } }),
    // @ts-expect-error nor can incr
    cache.incr('k3', 1, { tiers: { l2: false } }),
    // @ts-expect-error storing in the background is internal (larder/sql), not an option
    cache.getOrSet('k3', 1, { storeInBackground: true }),
  ];
  void wrongOptions;
  const collected = await cache.collectDependencies(async () => ({ id: 1, name: 'a' }) as User);
  expectType<Equal<typeof collected, { value: User; dependencies: Dependencies }>>(true);
  await cache.set('page', collected.value, { tags: ['pages'], dependencies: collected.dependencies });
  const wrongDependencies = () => [
    // @ts-expect-error dependencies are what collectDependencies returned, not a tag list
    cache.set('k3', 1, { dependencies: ['t'] }),
    // @ts-expect-error add takes no dependencies
    cache.add('k3', 1, { dependencies: collected.dependencies }),
  ];
  void wrongDependencies;
  const many = await cache.getMany<User>(['a', 'b']);
  expectType<Equal<typeof many, Map<string, User>>>(true);
  expectType<Equal<Awaited<ReturnType<Cache['add']>>, AddResult>>(true);
  expectType<Equal<Awaited<ReturnType<Cache['setMany']>>, string[]>>(true);
  expectType<Equal<Awaited<ReturnType<Cache['ttl']>>, number | null | undefined>>(true);

  const ttls: Ttl[] = [1000, '30s', '5m', '1.5h', null, 'forever', 0, -1];
  const durations: Duration[] = ['250ms', '1d'];
  // @ts-expect-error a duration needs a unit
  const noUnit: Duration = '30';
  // @ts-expect-error minutes are 'm', not 'min'
  const badUnit: Duration = '5min';
  // @ts-expect-error the TTL is an entry option, not a positional argument
  await cache.set('k', 1, 1000);
  // @ts-expect-error a store is required
  const noStore: CacheOptions = { prefix: 'x' };
  // Lengths of time are Durations, named without a unit; the store call's deadline is storeTimeout.
  const timed: Omit<CacheOptions, 'store'> = {
    storeTimeout: '150ms',
    invalidationTimeout: 200,
    breaker: { failureThreshold: 3, halfOpenAfter: '2s' },
    timeout: { soft: 0, hard: '1s' },
  };
  // @ts-expect-error timeoutMs is now storeTimeout
  const oldTimeout: Omit<CacheOptions, 'store'> = { timeoutMs: 100 };
  // @ts-expect-error openMs is now halfOpenAfter
  const oldOpen: Omit<CacheOptions, 'store'> = { breaker: { openMs: 1000 } };
  // @ts-expect-error a duration, not any string
  const badTimeout: Omit<CacheOptions, 'store'> = { storeTimeout: 'fast' };
  void [timed, oldTimeout, oldOpen, badTimeout];
  const notInLarder: NotInLarder | undefined = undefined;
  void [ttls, durations, noUnit, badUnit, noStore, notInLarder];
}

/** Diagnostics payloads: one type per channel, keyed by the names subscribers use. */
function channelPayloadChecks(): void {
  type Names<T> = T[keyof T];
  expectType<Equal<keyof ChannelPayloads, Names<typeof CHANNELS>>>(true);
  expectType<Equal<keyof SqlChannelPayloads, Names<typeof SQL_CHANNELS>>>(true);
  expectType<
    Equal<
      ChannelPayloads[typeof CHANNELS.miss]['reason'],
      'absent' | 'stale' | 'invalidated' | 'corrupt' | 'unavailable'
    >
  >(true);
  expectType<Equal<ChannelPayloads['larder:refresh']['trigger'], 'miss' | 'invalid' | 'stale' | 'early'>>(
    true,
  );
  expectType<Equal<ChannelPayloads['larder:bus-lag'], { readonly channel: string; readonly lagMs: number }>>(
    true,
  );
  expectType<
    Equal<SqlChannelPayloads['larder:sql:cdc-lag'], { readonly lagBytes: number; readonly lagMs: number }>
  >(true);
  const hit: ChannelPayloads['larder:hit'] = { prefix: 'p', operation: 'get' };
  // @ts-expect-error payloads never carry the key
  const withKey: ChannelPayloads['larder:hit'] = { prefix: 'p', operation: 'get', key: 'user:1' };
  // @ts-expect-error an operation that is not a counted read
  const notARead: ChannelPayloads['larder:hit'] = { prefix: 'p', operation: 'set' };
  void [hit, withKey, notARead];
}

it('public generics type-check (see the file); createCache returns a Cache over any Store', async () => {
  const store: Store = memoryStore();
  const cache: Cache = createCache({ store });
  await typeChecks(cache);
  channelPayloadChecks();
  assert.equal(await cache.get('k'), 1);
  await cache.close();
});
