/** The memory store's bus: asynchronous delivery to the same store's subscribers, per channel, isolated from throwing handlers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusHandlers } from '../../core/store.js';
import { memoryStore } from './memory-store.js';

function recorder(name = '') {
  const heard: string[] = [];
  const handlers: BusHandlers = {
    message: (message) => heard.push(`${name}${message}`),
    down: () => heard.push(`${name}down`),
    up: () => heard.push(`${name}up`),
  };
  return { heard, handlers };
}

describe('memoryStore bus', () => {
  it('delivers after publish returns, before its promise settles for the publisher', async () => {
    const store = memoryStore();
    const { heard, handlers } = recorder();
    const subscription = await store.bus.subscribe('c', handlers);
    assert.equal(subscription.live, true);
    const published = store.bus.publish('c', 'one');
    assert.deepEqual(heard, [], 'not inside the publisher call');
    await published;
    assert.deepEqual(heard, ['one']);
  });

  it('keeps channels apart and reaches every subscriber of a channel', async () => {
    const store = memoryStore();
    const a = recorder('a:');
    const b = recorder('b:');
    const c = recorder('c:');
    await store.bus.subscribe('x', a.handlers);
    await store.bus.subscribe('x', b.handlers);
    await store.bus.subscribe('y', c.handlers);
    await store.bus.publish('x', '1');
    await store.bus.publish('y', '2');
    await store.bus.publish('z', '3');
    assert.deepEqual([a.heard, b.heard, c.heard], [['a:1'], ['b:1'], ['c:2']]);
  });

  it('is per store instance', async () => {
    const one = memoryStore();
    const other = memoryStore();
    const { heard, handlers } = recorder();
    await one.bus.subscribe('c', handlers);
    await other.bus.publish('c', 'elsewhere');
    assert.deepEqual(heard, []);
  });

  it('close stops delivery at once, also of a message already published; close is idempotent', async () => {
    const store = memoryStore();
    const { heard, handlers } = recorder();
    const subscription = await store.bus.subscribe('c', handlers);
    const published = store.bus.publish('c', 'in flight');
    await subscription.close();
    await subscription.close();
    await published;
    await store.bus.publish('c', 'after');
    assert.equal(subscription.live, false);
    assert.deepEqual(heard, []);
  });

  it('a subscriber does not hear what was published before it subscribed', async () => {
    const store = memoryStore();
    const first = recorder();
    await store.bus.subscribe('c', first.handlers);
    const published = store.bus.publish('c', 'early');
    const late = recorder();
    await store.bus.subscribe('c', late.handlers);
    await published;
    assert.deepEqual([first.heard, late.heard], [['early'], []]);
  });

  it('a throwing handler neither stops delivery to the others nor escapes', async () => {
    const store = memoryStore();
    const { heard, handlers } = recorder();
    await store.bus.subscribe('c', {
      ...handlers,
      message: () => {
        throw new Error('handler bug');
      },
    });
    await store.bus.subscribe('c', handlers);
    await store.bus.publish('c', 'still here');
    assert.deepEqual(heard, ['still here']);
  });

  it('store.close() ends every subscription without calling down()', async () => {
    const store = memoryStore();
    const { heard, handlers } = recorder();
    const subscription = await store.bus.subscribe('c', handlers);
    await store.close();
    assert.equal(subscription.live, false);
    await store.bus.publish('c', 'after close');
    assert.deepEqual(heard, []);
  });
});
