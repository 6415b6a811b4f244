/**
 * The `logger` option: what the docs say (`console.warn`, a function) works,
 * an object with `warn` works, and anything else is refused at creation, naming
 * the option, instead of throwing from inside a degraded `get`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCacheWith } from './create-cache.js';
import { isLarderError, LarderError } from './errors.js';
import type { Store } from './store.js';
import type { LoggerOption } from './types.js';

/** A store whose every call fails as an unreachable server would. */
const downStore: Store = {
  name: 'down',
  get: () => Promise.reject(new LarderError('E_STORE', 'down: connection refused')),
  set: () => Promise.reject(new LarderError('E_STORE', 'down: connection refused')),
  add: () => Promise.reject(new LarderError('E_STORE', 'down: connection refused')),
  delete: () => Promise.reject(new LarderError('E_STORE', 'down: connection refused')),
  clear: () => Promise.reject(new LarderError('E_STORE', 'down: connection refused')),
};

const cacheWith = (logger: LoggerOption) =>
  createCacheWith({ store: downStore, onError: 'degrade', breaker: false, logger }, {});

describe('logger option', () => {
  it('a function (message, details) => void, as in `logger: console.warn`, hears degraded failures', async () => {
    const heard: Array<[string, unknown]> = [];
    const cache = cacheWith((message, details) => heard.push([message, details]));
    assert.equal(await cache.get('k'), undefined, 'degraded: a miss, not a throw');
    assert.equal(heard.length, 1);
    assert.match(heard[0]?.[0] ?? '', /get failed on the down store \(E_STORE\): down: connection refused/);
    assert.deepEqual(heard[0]?.[1], { code: 'LARDER_W_DEGRADED' });
    await cache.close();
  });

  it('an object with warn(message, details), such as console or a pino logger, is called as a method', async () => {
    const heard: string[] = [];
    const logger = {
      prefix: '[app]',
      warn(message: string) {
        heard.push(`${this.prefix} ${message}`);
      },
    };
    const cache = cacheWith(logger);
    assert.equal(await cache.get('k'), undefined);
    assert.match(heard[0] ?? '', /^\[app\] get failed/);
    await cache.close();
  });

  it('anything else is refused at creation with E_INVALID_OPTION naming "logger"', () => {
    for (const bad of ['console', {}, { warn: 'loud' }, null, 42]) {
      assert.throws(
        () => cacheWith(bad as unknown as LoggerOption),
        (error: Error) =>
          isLarderError(error, 'E_INVALID_OPTION') &&
          /^createCache: logger must be an object with a warn\(message, details\) method, or a function, got /.test(
            error.message,
          ),
        `logger: ${String(bad)}`,
      );
    }
  });
});
