import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChanges, noChanges, type SessionData, sessionChanges } from './session-changes.js';

const fields = (data: SessionData) => {
  const changes = sessionChanges({ cart: [1], user: 'ada', theme: 'dark', cookie: { maxAge: 1 } }, data);
  return { set: Object.fromEntries(changes.set), deleted: [...changes.deleted].sort() };
};

describe('sessionChanges: what one request changed, field by field', () => {
  it('reports set, changed and deleted fields, and nothing for equal ones', () => {
    assert.deepEqual(fields({ cart: [1], user: 'ada', theme: 'dark' }), { set: {}, deleted: [] });
    assert.deepEqual(fields({ cart: [1, 2], user: 'ada', theme: 'dark', lang: 'fr' }), {
      set: { cart: [1, 2], lang: 'fr' },
      deleted: [],
    });
    assert.deepEqual(fields({ cart: [1] }), { set: {}, deleted: ['theme', 'user'] });
    assert.deepEqual(fields({ cart: [1], user: undefined, theme: 'dark' }), { set: {}, deleted: ['user'] });
  });

  it('compares structure, not key order, and sees mutations inside nested values', () => {
    const loaded = { prefs: { a: 1, b: { c: [1, 2] } } };
    assert.ok(noChanges(sessionChanges(loaded, { prefs: { b: { c: [1, 2] }, a: 1 } })));
    assert.deepEqual(Object.fromEntries(sessionChanges(loaded, { prefs: { a: 1, b: { c: [2, 1] } } }).set), {
      prefs: { a: 1, b: { c: [2, 1] } },
    });
    const date = new Date('2026-12-07T00:00:00Z');
    assert.ok(
      noChanges(sessionChanges({ at: date.toJSON() }, { at: date })),
      'a Date equals its stored JSON',
    );
  });

  it('leaves the cookie to the store (its expiry is touch, not a field)', () => {
    assert.ok(noChanges(sessionChanges({ cookie: { maxAge: 1 } }, { cookie: { maxAge: 2 } })));
  });

  it('treats every field of a new session as set', () => {
    assert.deepEqual(Object.fromEntries(sessionChanges(undefined, { user: 'ada' }).set), { user: 'ada' });
  });
});

describe('applyChanges: two requests of one session both keep their changes', () => {
  it('applies one request’s changes on the session another request wrote meanwhile', () => {
    const loaded = { cart: [1], theme: 'dark', visits: 1 };
    // Request A adds to the cart; request B, loaded from the same session, changes the theme.
    const a = sessionChanges(loaded, { ...loaded, cart: [1, 2] });
    const b = sessionChanges(loaded, { ...loaded, theme: 'light' });
    const afterA = applyChanges(loaded, a);
    const afterB = applyChanges(afterA, b);
    assert.deepEqual(afterB, { cart: [1, 2], theme: 'light', visits: 1 }, 'neither change is lost');
    // The naive whole-session write (B's whole session over A's) loses A's change.
    assert.notDeepEqual({ ...loaded, theme: 'light' }, afterB);
  });

  it('keeps a field one request changed and the other left alone, and deletes what was deleted', () => {
    const loaded = { flash: 'saved', user: 'ada' };
    const a = sessionChanges(loaded, { user: 'ada' }); // shows and removes the flash
    const b = sessionChanges(loaded, { ...loaded, user: 'ada', lang: 'fr' });
    assert.deepEqual(applyChanges(applyChanges(loaded, a), b), { user: 'ada', lang: 'fr' });
    assert.deepEqual(applyChanges(applyChanges(loaded, b), a), { user: 'ada', lang: 'fr' });
  });

  it('resolves a conflict within one field by the last writer', () => {
    const loaded = { theme: 'dark' };
    const a = sessionChanges(loaded, { theme: 'light' });
    const b = sessionChanges(loaded, { theme: 'blue' });
    assert.deepEqual(applyChanges(applyChanges(loaded, a), b), { theme: 'blue' });
  });
});
