/**
 * Django's key validation cases, checked on the stored key (after prefixing):
 * longer than 250 code points, or holding whitespace or a control character.
 */
import assert from 'node:assert/strict';
import type { Cache } from '../../core/types.js';
import { rejectsWithCode } from '../assertions.js';
import { defineCases } from '../conformance-case.js';
import type { Harness } from '../harness.js';

const KEY_WARNING = 'LARDER_W_KEY';
let keyWarnings = 0;
let listening = false;

/**
 * Count LARDER_W_KEY warnings from the moment the suite is set up. Larder warns
 * once per process, so a second run of the suite in the same process sees none:
 * the case checks the process-wide count.
 */
export function listenForKeyWarnings(): void {
  if (listening) return;
  listening = true;
  process.on('warning', (warning) => {
    if ((warning as Error & { code?: unknown }).code === KEY_WARNING) keyWarnings++;
  });
}

/** Every operation that takes a key, called with `key` (batch operations mix it with a valid one). */
const OPERATIONS: Readonly<Record<string, (cache: Cache, key: string) => Promise<unknown>>> = {
  get: (cache, key) => cache.get(key),
  set: (cache, key) => cache.set(key, 1),
  add: (cache, key) => cache.add(key, 1),
  delete: (cache, key) => cache.delete(key),
  has: (cache, key) => cache.has(key),
  incr: (cache, key) => cache.incr(key),
  decr: (cache, key) => cache.decr(key),
  touch: (cache, key) => cache.touch(key, '1m'),
  ttl: (cache, key) => cache.ttl(key),
  getMany: (cache, key) => cache.getMany(['valid', key]),
  setMany: (cache, key) =>
    cache.setMany([
      ['valid', 1],
      [key, 2],
    ]),
  deleteMany: (cache, key) => cache.deleteMany(['valid', key]),
  getOrSet: (cache, key) => cache.getOrSet(key, 1),
  incrVersion: (cache, key) => cache.incrVersion(key),
  decrVersion: (cache, key) => cache.decrVersion(key),
};

/** Astral characters (2 UTF-16 units each) that make the stored key exactly `codePoints` long. */
function keyOfLength(h: Harness, codePoints: number): string {
  const taken = [...h.storedKey('')].length;
  return '\u{1F511}'.repeat(codePoints - taken);
}

async function expectInvalidEverywhere(h: Harness, key: string): Promise<void> {
  const cache = h.cache({ keyValidation: 'error' });
  for (const [name, call] of Object.entries(OPERATIONS)) {
    await rejectsWithCode(call(cache, key), 'E_INVALID_KEY', `${name}(${JSON.stringify(key.slice(0, 20))})`);
  }
  // setMany checks every key before writing any: the valid one was not stored either.
  assert.equal(await cache.has('valid'), false, 'setMany with one invalid key stored nothing');
}

const BAD_CHARACTERS: Readonly<Record<string, string>> = {
  space: 'key with space',
  tab: 'tab\tkey',
  newline: 'new\nline',
  'carriage return': 'cr\r',
  nul: 'nul\u0000',
  bell: 'bell\u0007',
  delete: 'del\u007f',
  'C1 control': 'next-line\u0085',
  'no-break space': 'nbsp\u00a0',
  'ideographic space': 'ideographic\u3000',
};

/** Key validation per operation. */
export const keyValidationCases = defineCases('key validation', {
  async 'a key with whitespace or a control character is E_INVALID_KEY from every operation'(h) {
    for (const key of Object.values(BAD_CHARACTERS)) await expectInvalidEverywhere(h, key);
  },

  async 'a stored key over 250 code points is E_INVALID_KEY from every operation'(h) {
    await expectInvalidEverywhere(h, keyOfLength(h, 251));
    await expectInvalidEverywhere(h, 'x'.repeat(300));
  },

  async 'a stored key of exactly 250 code points is valid, counted in code points not UTF-16 units'(h) {
    const cache = h.cache({ keyValidation: 'error' });
    const key = keyOfLength(h, 250);
    assert.ok(h.storedKey(key).length > 250, 'the stored key is longer than 250 UTF-16 units');
    await cache.set(key, 'long');
    assert.equal(await cache.get(key), 'long');
    assert.deepEqual(await cache.getMany([key]), new Map([[key, 'long']]));
    assert.equal(await cache.delete(key), true);
  },

  async "keyValidation: 'off' lets any key through"(h) {
    const cache = h.cache({ keyValidation: 'off' });
    const keys = [...Object.values(BAD_CHARACTERS), 'y'.repeat(300)];
    for (const [index, key] of keys.entries()) await cache.set(key, index);
    for (const [index, key] of keys.entries()) assert.equal(await cache.get(key), index, JSON.stringify(key));
  },

  async "keyValidation: 'warn' emits LARDER_W_KEY once per process and lets the call through"(h) {
    const cache = h.cache({ keyValidation: 'warn' });
    await cache.set('warn me', 1);
    await cache.set('warn\tme too', 2);
    assert.equal(await cache.get('warn me'), 1);
    assert.equal(await cache.incr('warn\tme too'), 3);
    // process.emitWarning delivers on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(
      keyWarnings,
      1,
      `expected exactly one ${KEY_WARNING} warning in this process, saw ${keyWarnings}`,
    );
  },
});
