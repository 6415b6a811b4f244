import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LarderError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { createCache } from '../create-cache.js';
import { memoryStore } from '../stores/memory/memory-store.js';
import { LOADED } from './loaded-session.js';
import { SessionEngine, type SessionObject } from './session-engine.js';
import { resolveSessionOptions } from './session-options.js';

const SECRET = 'a-session-secret-of-at-least-32-bytes!';

function world(store?: Store) {
  let now = Date.parse('2026-12-07T12:00:00Z');
  const clock = { now: () => now };
  const cache = createCache({ store: store ?? memoryStore({ clock }), clock, prefix: 't' });
  const reports: LarderError[] = [];
  const engine = new SessionEngine(
    resolveSessionOptions({ cache, secret: SECRET, ttl: '1h', tombstoneTtl: '5m', clock }, 'test'),
    (error) => reports.push(error),
  );
  return {
    cache,
    engine,
    reports,
    advance(ms: number) {
      now += ms;
    },
    now: () => now,
  };
}

const cookie = (expiresAt?: number) => ({
  originalMaxAge: expiresAt === undefined ? null : 60_000,
  expires: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
  httpOnly: true,
  path: '/',
});

describe('SessionEngine on a memory cache with a fake clock', () => {
  it('stores a new session, loads it with a marker JSON never shows, and keeps it until the cookie expires', async () => {
    const w = world();
    await w.engine.save('id-1', { user: 'ada', cookie: cookie(w.now() + 60_000) });
    const loaded = (await w.engine.load('id-1')) as SessionObject;
    assert.equal(loaded.user, 'ada');
    assert.ok(LOADED in loaded);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(loaded))).sort(), ['cookie', 'user']);
    w.advance(59_000);
    assert.notEqual(await w.engine.load('id-1'), undefined);
    w.advance(2_000);
    assert.equal(await w.engine.load('id-1'), undefined, 'gone with the cookie');
  });

  it('gives a session without cookie expiry the default TTL, and touch stores the new expiry', async () => {
    const w = world();
    await w.engine.save('id-2', { n: 1, cookie: cookie() });
    assert.ok(((await w.cache.ttl(w.engine.keyOf('id-2') as string)) ?? 0) <= 3_600_000);
    const session = (await w.engine.load('id-2')) as SessionObject;
    w.advance(50 * 60_000);
    session.cookie = cookie(w.now() + 60 * 60_000);
    await w.engine.touch('id-2', session);
    w.advance(30 * 60_000); // past the first hour
    const touched = (await w.engine.load('id-2')) as SessionObject;
    assert.equal(touched.n, 1, 'the touch kept the fields');
    assert.equal(
      (touched.cookie as { expires: string }).expires,
      new Date(w.now() + 30 * 60_000).toISOString(),
    );
  });

  it('skips a touch that would move the stored expiry by less than a tenth of the cookie lifetime', async () => {
    const w = world();
    const hour = 60 * 60_000;
    await w.engine.save('id-8', { n: 1, cookie: { ...cookie(w.now() + hour), originalMaxAge: hour } });
    const session = (await w.engine.load('id-8')) as SessionObject;
    w.advance(60_000);
    session.cookie = { ...cookie(w.now() + hour), originalMaxAge: hour };
    await w.engine.touch('id-8', session);
    const stored = (await w.engine.load('id-8')) as SessionObject;
    assert.equal(
      (stored.cookie as { expires: string }).expires,
      new Date(w.now() - 60_000 + hour).toISOString(),
      'not written',
    );
    w.advance(6 * 60_000);
    stored.cookie = { ...cookie(w.now() + hour), originalMaxAge: hour };
    await w.engine.touch('id-8', stored);
    const moved = (await w.engine.load('id-8')) as SessionObject;
    assert.equal(
      (moved.cookie as { expires: string }).expires,
      new Date(w.now() + hour).toISOString(),
      'written',
    );
  });

  it('keeps both of two concurrent changes, and the last writer within one field', async () => {
    const w = world();
    await w.engine.save('id-3', { a: 0, b: 0, theme: 'dark', cookie: cookie(w.now() + 60_000) });
    const one = (await w.engine.load('id-3')) as SessionObject;
    const two = (await w.engine.load('id-3')) as SessionObject;
    one.a = 1;
    one.theme = 'light';
    two.b = 2;
    two.theme = 'blue';
    await w.engine.save('id-3', one);
    await w.engine.save('id-3', two);
    const after = (await w.engine.load('id-3')) as SessionObject;
    assert.deepEqual({ a: after.a, b: after.b, theme: after.theme }, { a: 1, b: 2, theme: 'blue' });
  });

  it('does not let a save of the old session undo a destroy', async () => {
    const w = world();
    await w.engine.save('id-4', { user: 'ada', cookie: cookie(w.now() + 60_000) });
    const inFlight = (await w.engine.load('id-4')) as SessionObject;
    await w.engine.destroy('id-4');
    inFlight.cart = [1];
    await w.engine.save('id-4', inFlight);
    assert.equal(await w.engine.load('id-4'), undefined, 'still destroyed');
  });

  it('reads a value that is not its own record as no session, and reports it without the id', async () => {
    const w = world();
    const key = w.engine.keyOf('id-5') as string;
    for (const value of [
      '{',
      42,
      { larder: 1 },
      JSON.stringify({ larder: 1, key: 'sess:other', fields: {}, cookie: {}, expiresAt: w.now() + 1e6 }),
    ]) {
      await w.cache.set(key, value);
      assert.equal(await w.engine.load('id-5'), undefined, JSON.stringify(value));
    }
    assert.equal(w.reports.length, 4);
    for (const report of w.reports) assert.ok(!report.message.includes('id-5'));
  });

  it('fails a save fast with E_SESSION_UNAVAILABLE when the cache cannot be reached, and reads a miss', async () => {
    const down: Store = {
      name: 'down',
      get: () => Promise.reject(new Error('ECONNREFUSED')),
      set: () => Promise.reject(new Error('ECONNREFUSED')),
      add: () => Promise.reject(new Error('ECONNREFUSED')),
      delete: () => Promise.reject(new Error('ECONNREFUSED')),
      clear: () => Promise.reject(new Error('ECONNREFUSED')),
      compareAndSet: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const w = world(down);
    w.cache.on('error', () => {});
    await assert.rejects(w.engine.save('id-6', { user: 'ada', cookie: cookie() }), {
      code: 'E_SESSION_UNAVAILABLE',
    });
    assert.equal(await w.engine.load('id-6'), undefined);
    assert.ok(w.reports.some((report) => report.code === 'E_SESSION_UNAVAILABLE'));
  });

  it('refuses a session larger than maxBytes on save, writing nothing', async () => {
    const w = world();
    await assert.rejects(
      w.engine.save('id-7', { blob: 'x'.repeat(300_000), cookie: cookie() }),
      /larger than maxBytes/,
    );
    assert.equal(await w.engine.load('id-7'), undefined);
  });
});
