/**
 * The Redis store's bus on the shared Redis: messages cross stores (as they
 * cross processes), channels stay apart, one subscriber connection carries
 * them all, close stops delivery and unsubscribes, and a throwing handler
 * hurts nobody. Channels live under a unique prefix.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { isLarderError } from '../../core/errors.js';
import type { BusHandlers } from '../../core/store.js';
import { redisUrl, uniquePrefix } from '../../test-support/env.js';
import { waitFor } from '../../test-support/traffic.js';
import { type RedisStore, redisStore } from './redis-store.js';

function recorder() {
  const heard: string[] = [];
  const events: string[] = [];
  const handlers: BusHandlers = {
    message: (message) => heard.push(message),
    down: () => events.push('down'),
    up: () => events.push('up'),
  };
  return { heard, events, handlers };
}

/** How many subscribers the server counts on `channel`. */
async function numsub(store: RedisStore, channel: string): Promise<number> {
  const reply = await store.client.sendCommand<[unknown, number]>(['PUBSUB', 'NUMSUB', channel]);
  return Number(reply[1]);
}

/** How many connections to the shared Redis carry the client name `name`. */
async function connectionsNamed(store: RedisStore, name: string): Promise<number> {
  const list = String(await store.client.sendCommand(['CLIENT', 'LIST']));
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

describe('redisStore bus on the shared Redis', () => {
  const prefix = uniquePrefix('redis-bus');
  const channel = (name: string): string => `${prefix}#C${name}`;
  // The subscriber connection inherits the client name, which lets the test
  // count this file's connections among everyone else's.
  const name = `larder-bus-test-${randomBytes(4).toString('hex')}`;
  let subscriberSide: RedisStore;
  let publisherSide: RedisStore;

  before(async () => {
    subscriberSide = redisStore({ url: redisUrl(), clientOptions: { name } });
    publisherSide = redisStore({ url: redisUrl() });
    await Promise.all([subscriberSide.ready(), publisherSide.ready()]);
  });

  after(async () => {
    await Promise.all([subscriberSide.close(), publisherSide.close()]);
  });

  it('a message published by one store reaches a subscriber of another', async () => {
    const { heard, events, handlers } = recorder();
    const subscription = await subscriberSide.bus.subscribe(channel('cross'), handlers);
    assert.equal(subscription.live, true);
    // Live means subscribed on the server: a publish right now is heard.
    await publisherSide.bus.publish(channel('cross'), 'hello');
    await publisherSide.bus.publish(channel('cross'), 'ünïcödé ✓');
    await waitFor(() => heard.length === 2, 2000, 'both messages');
    assert.deepEqual(heard, ['hello', 'ünïcödé ✓']);
    assert.deepEqual(events, [], 'no down/up on a healthy connection');
    await subscription.close();
  });

  it('many channels and subscribers share one subscriber connection, and each hears only its channel', async () => {
    const channels = Array.from({ length: 30 }, (_, i) => channel(`many-${i}`));
    const recorders = channels.map(() => [recorder(), recorder()] as const);
    const subscriptions = await Promise.all(
      channels.flatMap(
        (name, i) => recorders[i]?.map((r) => subscriberSide.bus.subscribe(name, r.handlers)) ?? [],
      ),
    );
    await Promise.all(channels.map((name, i) => publisherSide.bus.publish(name, `m${i}`)));
    await waitFor(
      () => recorders.every((pair) => pair.every((r) => r.heard.length === 1)),
      3000,
      'one message per subscriber',
    );
    recorders.forEach((pair, i) => {
      for (const r of pair) assert.deepEqual(r.heard, [`m${i}`]);
    });
    assert.equal(
      await numsub(publisherSide, channels[0] as string),
      1,
      'one server subscription per channel',
    );
    assert.equal(await connectionsNamed(publisherSide, name), 2, 'the command connection and one subscriber');
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
  });

  it('close stops delivery to that handler only, is idempotent, and unsubscribes when none remain', async () => {
    const leaving = recorder();
    const staying = recorder();
    const first = await subscriberSide.bus.subscribe(channel('close'), leaving.handlers);
    const second = await subscriberSide.bus.subscribe(channel('close'), staying.handlers);
    await first.close();
    await first.close();
    assert.equal(first.live, false);
    await publisherSide.bus.publish(channel('close'), 'after first closed');
    await waitFor(() => staying.heard.length === 1, 2000, 'the remaining subscriber');
    assert.deepEqual(leaving.heard, []);
    assert.equal(await numsub(publisherSide, channel('close')), 1);

    await second.close();
    assert.equal(second.live, false);
    // The UNSUBSCRIBE follows close() in the background.
    for (let i = 0; i < 100 && (await numsub(publisherSide, channel('close'))) !== 0; i++) await sleep(20);
    assert.equal(await numsub(publisherSide, channel('close')), 0);
    await publisherSide.bus.publish(channel('close'), 'after both closed');
    await sleep(100);
    assert.deepEqual(staying.heard, ['after first closed']);
  });

  it('subscribing again right after closing the last subscriber stays subscribed', async () => {
    // SUBSCRIBE then UNSUBSCRIBE then SUBSCRIBE of one channel in one tick: the
    // bus must end subscribed, whatever order node-redis sees the replies in.
    const first = recorder();
    const again = recorder();
    const subscription = await subscriberSide.bus.subscribe(channel('flap'), first.handlers);
    await subscription.close();
    const resubscribed = await subscriberSide.bus.subscribe(channel('flap'), again.handlers);
    await publisherSide.bus.publish(channel('flap'), 'still on');
    await waitFor(() => again.heard.length === 1, 2000, 'the new subscriber');
    assert.equal(await numsub(publisherSide, channel('flap')), 1);
    assert.deepEqual(first.heard, []);
    await resubscribed.close();
  });

  it('a throwing handler neither stops delivery to the others nor breaks the connection', async () => {
    const { heard, events, handlers } = recorder();
    let thrown = 0;
    const faulty = await subscriberSide.bus.subscribe(channel('throw'), {
      ...handlers,
      message: () => {
        thrown++;
        throw new Error('handler bug');
      },
    });
    const healthy = await subscriberSide.bus.subscribe(channel('throw'), handlers);
    for (const message of ['1', '2', '3']) await publisherSide.bus.publish(channel('throw'), message);
    await waitFor(() => heard.length === 3, 2000, 'three messages');
    assert.deepEqual(heard, ['1', '2', '3']);
    assert.equal(thrown, 3);
    assert.deepEqual(events, [], 'the subscriber connection was not reset');
    await Promise.all([faulty.close(), healthy.close()]);
  });

  it('store.close() ends subscriptions without down(), closes the subscriber connection, then refuses subscribe', async () => {
    const store = redisStore({ url: redisUrl(), clientOptions: { name: `${name}-closing` } });
    const { heard, events, handlers } = recorder();
    const subscription = await store.bus.subscribe(channel('store-close'), handlers);
    assert.equal(await connectionsNamed(publisherSide, `${name}-closing`), 2);
    await store.close();
    assert.equal(subscription.live, false);
    await publisherSide.bus.publish(channel('store-close'), 'after close');
    await sleep(100);
    assert.deepEqual([heard, events], [[], []]);
    for (let i = 0; i < 50 && (await connectionsNamed(publisherSide, `${name}-closing`)) !== 0; i++)
      await sleep(20);
    assert.equal(await connectionsNamed(publisherSide, `${name}-closing`), 0);
    await assert.rejects(store.bus.subscribe(channel('store-close'), handlers), (error) =>
      isLarderError(error, 'E_CLOSED'),
    );
  });

  it('with a client it did not create: the subscriber is its own duplicate, closed with the store; the client stays open', async () => {
    const clientName = `${name}-passed`;
    const client = createClient({ url: redisUrl(), name: clientName });
    client.on('error', () => {});
    await client.connect();
    const store = redisStore({ client });
    const { heard, handlers } = recorder();
    await store.bus.subscribe(channel('passed'), handlers);
    await publisherSide.bus.publish(channel('passed'), 'via duplicate');
    await waitFor(() => heard.length === 1, 2000, 'the message');
    assert.equal(await connectionsNamed(publisherSide, clientName), 2);
    await store.close();
    assert.equal(client.isOpen, true, 'the passed-in client stays open');
    for (let i = 0; i < 50 && (await connectionsNamed(publisherSide, clientName)) !== 1; i++) await sleep(20);
    assert.equal(await connectionsNamed(publisherSide, clientName), 1, 'only the passed-in client is left');
    client.destroy();
  });
});
