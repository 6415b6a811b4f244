/**
 * The bus when Redis dies (SIGKILL) and comes back, on a private redis-server:
 * subscribers hear `down()` once, then `up()` once the subscriptions are live
 * again, and messages published from `up()` on arrive; `subscribe` while the
 * server is down rejects within its bound instead of hanging; nothing is left
 * unhandled and everything closes (the file exits).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { isLarderError } from '../../core/errors.js';
import type { BusHandlers, BusSubscription } from '../../core/store.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/traffic.js';
import { type RedisStore, redisStore } from './redis-store.js';
import type { RedisStoreOptions } from './redis-store-options.js';

const SUBSCRIBE_TIMEOUT_MS = 400;
/** Event-loop and timer slack on a loaded 2-core machine. */
const SLACK_MS = 300;

function recorder(onUp: () => void = () => {}) {
  const heard: string[] = [];
  const events: string[] = [];
  const handlers: BusHandlers = {
    message: (message) => heard.push(message),
    down: () => events.push('down'),
    up: () => {
      events.push('up');
      onUp();
    },
  };
  return { heard, events, handlers };
}

describe('redisStore bus: Redis killed, then restarted', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  /** What the current test opened, closed after it even when it fails, or the file would never exit. */
  let stores: RedisStore[] = [];
  let rawClients: Array<{ destroy(): unknown }> = [];
  let server: RedisServer;

  const makeStore = (options: RedisStoreOptions & { RESP?: 2 | 3 } = {}): RedisStore => {
    const { RESP = 3, ...rest } = options;
    const store = redisStore({
      url: server.url,
      reconnect: { initialDelay: 20, maxDelay: 200 },
      subscribeTimeout: SUBSCRIBE_TIMEOUT_MS,
      // The option type admits only node-redis 6's default, RESP3; RESP2 works all the same.
      clientOptions: { RESP: RESP as 3 },
      ...rest,
    });
    stores.push(store);
    return store;
  };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedisServer();
  });

  afterEach(async () => {
    for (const client of rawClients) client.destroy();
    await Promise.all(stores.map((store) => store.close()));
    [stores, rawClients] = [[], []];
    // A test that failed halfway may have left the server dead; the next starts from a live one.
    await server.restart();
    assert.deepEqual(unhandled.splice(0), [], 'no unhandled rejection');
  });

  after(async () => {
    await server.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  // node-redis resubscribes differently per protocol: under RESP2 the
  // subscriber's replies are rerouted through its pub/sub handler, under RESP3
  // they arrive as push frames.
  for (const RESP of [2, 3] as const) {
    it(`RESP${RESP}: down() once on the loss, up() once live again, and a message published at up() arrives`, async () => {
      // The subscriber retries on a fixed 1 s schedule (no jitter), so the raw
      // publisher below is connected well before it comes back.
      const subscriberSide = makeStore({
        RESP,
        reconnect: { initialDelay: 2000, maxDelay: 2000, random: () => 0 },
      });
      const publisherSide = makeStore({ RESP });
      let publishAtUp = (): void => {};
      const a = recorder(() => publishAtUp());
      const b = recorder();
      const first = await subscriberSide.bus.subscribe('a', a.handlers);
      const second = await subscriberSide.bus.subscribe('b', b.handlers);
      await publisherSide.bus.publish('a', 'before');
      await waitFor(() => a.heard.length === 1, 2000, 'the message before the kill');

      await server.kill();
      await waitFor(() => a.events.length === 1 && b.events.length === 1, 2000, 'down() on both');
      assert.equal(first.live, false);
      assert.equal(second.live, false);

      await server.restart(); // same port, empty: the subscriber must subscribe again
      // A raw publisher publishes the moment up() is called: an up() before the
      // server had confirmed SUBSCRIBE again would lose that message.
      const raw = createClient({ url: server.url });
      raw.on('error', () => {});
      rawClients.push(raw);
      await raw.connect();
      const publishedAtUp: Array<Promise<number>> = [];
      let rawReadyAtUp = true;
      publishAtUp = () => {
        rawReadyAtUp &&= raw.isReady;
        if (raw.isReady) publishedAtUp.push(raw.publish('a', 'at up'));
      };
      await waitFor(() => a.events.length === 2 && b.events.length === 2, 5000, 'up() on both');
      assert.ok(rawReadyAtUp, 'the raw publisher was connected before the subscriber came back');
      assert.deepEqual(await Promise.all(publishedAtUp), [1], 'the server counted one subscriber at up()');
      await waitFor(() => a.heard.includes('at up'), 1000, 'the message published in up()');
      assert.deepEqual(
        [a.events, b.events],
        [
          ['down', 'up'],
          ['down', 'up'],
        ],
      );
      assert.equal(first.live, true);
      assert.equal(second.live, true);

      await publisherSide.ready();
      await publisherSide.bus.publish('a', 'after');
      await publisherSide.bus.publish('b', 'after');
      await waitFor(() => a.heard.length === 3 && b.heard.length === 1, 2000, 'the messages after up()');
      assert.deepEqual([a.heard, b.heard], [['before', 'at up', 'after'], ['after']]);
    });
  }

  it('subscribe while the server is down rejects with E_STORE within its bound; a live subscription hears down() once', async () => {
    const store = makeStore();
    const live = recorder();
    const subscription = await store.bus.subscribe('live', live.handlers);
    await server.kill();
    // Meanwhile the subscriber's reconnection attempts fail every 20-200 ms.
    for (const attempt of ['first', 'second']) {
      const started = performance.now();
      await assert.rejects(
        store.bus.subscribe('down', recorder().handlers),
        (error) => isLarderError(error, 'E_STORE'),
        `${attempt} attempt`,
      );
      const elapsed = performance.now() - started;
      assert.ok(
        elapsed <= SUBSCRIBE_TIMEOUT_MS + SLACK_MS,
        `${attempt} rejected after ${elapsed.toFixed(0)} ms`,
      );
    }
    assert.deepEqual(live.events, ['down'], 'one down() however many attempts failed');

    await server.restart();
    const { heard, events, handlers } = recorder();
    // The subscriber connection retries on its own; a subscribe succeeds once it is back.
    let late: BusSubscription | undefined;
    const deadline = performance.now() + 5000;
    while (late === undefined) {
      assert.ok(performance.now() < deadline, 'no subscribe succeeded within 5 s of the restart');
      late = await store.bus.subscribe('down', handlers).catch(() => undefined);
    }
    await store.ready();
    await store.bus.publish('down', 'back');
    await waitFor(() => heard.length === 1, 2000, 'the message');
    assert.deepEqual(events, [], 'subscribed after the outage: nothing to report');
    await waitFor(() => live.events.length === 2, 2000, 'up() on the older subscription');
    assert.deepEqual(live.events, ['down', 'up']);
    assert.equal(subscription.live, true);
  });

  it('a store whose first subscribe meets a dead server rejects within the bound, then closes cleanly', async () => {
    await server.kill();
    const store = makeStore();
    const started = performance.now();
    await assert.rejects(store.bus.subscribe('never', recorder().handlers), (error) =>
      isLarderError(error, 'E_STORE'),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed <= SUBSCRIBE_TIMEOUT_MS + SLACK_MS, `rejected after ${elapsed.toFixed(0)} ms`);
  });

  it('with reconnect: false, the loss is down() for good and a later subscribe rejects at once', async () => {
    const store = makeStore({ reconnect: false });
    const { events, handlers } = recorder();
    const subscription = await store.bus.subscribe('gone', handlers);
    await server.kill();
    await waitFor(() => events.length === 1, 2000, 'down()');
    const started = performance.now();
    await assert.rejects(store.bus.subscribe('gone', recorder().handlers), (error) =>
      isLarderError(error, 'E_STORE'),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed < SUBSCRIBE_TIMEOUT_MS, `rejected after ${elapsed.toFixed(0)} ms, not at the timeout`);
    await server.restart();
    await sleep(300);
    assert.deepEqual(events, ['down'], 'never up() again');
    assert.equal(subscription.live, false);
  });
});
