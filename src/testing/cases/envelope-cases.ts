/**
 * The stored format: raw integers, the envelope, reading entries written by the
 * other serializer, and foreign or corrupt bytes, which read as a miss with an
 * `E_DECODE` error event and never throw.
 */
import assert from 'node:assert/strict';
import type { Cache, ErrorPolicy } from '../../core/types.js';
import { defineCases } from '../conformance-case.js';
import type { Harness } from '../harness.js';

const MAGIC = 0xc1;
const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** A copy of `bytes` with the low bit at `index` flipped. */
function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 1;
  return copy;
}

/** Bytes no Larder cache could have written (or could still read), by what they imitate. */
async function corruptSamples(h: Harness): Promise<Map<string, Uint8Array>> {
  const writer = h.cache({ prefix: h.otherPrefix('writer') });
  const value = { name: 'a value long enough to cut', list: [1, 2, 3], nested: { deep: 'x'.repeat(40) } };
  await writer.set('msgpack', value);
  const gzip = h.cache({
    prefix: h.otherPrefix('writer'),
    compression: { algorithm: 'gzip', thresholdBytes: 0 },
  });
  await gzip.set('gzip', value);
  const msgpack = (await h.raw(h.storedKey('msgpack', 1, writer.prefix))) ?? new Uint8Array();
  const gzipped = (await h.raw(h.storedKey('gzip', 1, writer.prefix))) ?? new Uint8Array();
  assert.ok(msgpack.byteLength > 20 && gzipped.byteLength > 20, 'the writer stored its samples');
  return new Map<string, Uint8Array>([
    ['foreign text', utf8('hello world')],
    ['foreign JSON', utf8('{"a":1}')],
    ['empty', new Uint8Array(0)],
    ['magic byte only', Uint8Array.of(MAGIC)],
    ['truncated header', Uint8Array.of(MAGIC, 1)],
    ['unknown format version', Uint8Array.of(MAGIC, 99, 1, 0xc0)],
    ['unknown serializer id', Uint8Array.of(MAGIC, 1, 15, 0xc0)],
    ['unknown compression id', Uint8Array.of(MAGIC, 1, 1 | (7 << 4), 0xc0)],
    ['gzip flag over garbage', Uint8Array.of(MAGIC, 1, 1 | (1 << 4), 1, 2, 3, 4, 5)],
    ['truncated meta length', Uint8Array.of(MAGIC, 1, 1 | 0x80, 0x80)],
    ['invalid UTF-8 in a JSON payload', Uint8Array.of(MAGIC, 1, 2, 0xff, 0xfe, 0xfd)],
    ['truncated JSON payload', Buffer.concat([Uint8Array.of(MAGIC, 1, 2), utf8('{"a":[1,2')])],
    ['truncated msgpack envelope', msgpack.subarray(0, msgpack.byteLength - 5)],
    ['msgpack envelope with trailing garbage', Buffer.concat([msgpack, Uint8Array.of(0xc1, 0xc1, 0xc1)])],
    ['truncated gzip envelope', gzipped.subarray(0, gzipped.byteLength - 6)],
    ['digits then text', utf8('12abc')],
    ['an integer beyond 2^53', utf8('123456789012345678901234')],
    ['a lone minus sign', utf8('-')],
    ['digits with a leading zero', utf8('0042')],
    ['minus zero as digits', utf8('-0')],
    ['a format 1 envelope (no checksum)', Buffer.concat([Uint8Array.of(MAGIC, 1, 2), utf8('"old"')])],
    ['one flipped bit in the payload', flipped(msgpack, msgpack.byteLength - 8)],
    ['one flipped bit in the checksum', flipped(msgpack, msgpack.byteLength - 1)],
    ['one flipped bit in a gzip payload', flipped(gzipped, 12)],
  ]);
}

async function expectDecodeMiss(h: Harness, cache: Cache, label: string, policy: ErrorPolicy): Promise<void> {
  const where = `${label} (onError: ${policy})`;
  assert.equal(await cache.get('corrupt', { default: 'default' }), 'default', `get: ${where}`);
  assert.equal(await cache.get('corrupt'), undefined, `get without default: ${where}`);
  assert.deepEqual(await cache.getMany(['corrupt']), new Map(), `getMany: ${where}`);
  const events = h.takeErrors();
  assert.deepEqual(
    events.map((event) => [event.operation, event.code]),
    [
      ['get', 'E_DECODE'],
      ['get', 'E_DECODE'],
      ['getMany', 'E_DECODE'],
    ],
    `error events: ${where}`,
  );
  assert.equal(events[0]?.error.code, 'E_DECODE');
}

/** The stored format. */
export const envelopeCases = defineCases('envelope', {
  async 'integers are stored as raw decimal digits, so a store can count them'(h) {
    const cache = h.cache();
    for (const [key, value] of [
      ['positive', 42],
      ['negative', -7],
      ['zero', 0],
      ['max', Number.MAX_SAFE_INTEGER],
    ] as const) {
      await cache.set(key, value);
      assert.equal(Buffer.from((await h.raw(h.storedKey(key))) ?? []).toString('latin1'), String(value), key);
    }
  },

  async 'everything else is stored in the envelope, never as bare digits'(h) {
    const cache = h.cache();
    for (const [key, value] of [
      ['digits', '42'],
      ['float', 1.5],
      ['negative-zero', -0],
      ['bigint', 42n],
      ['null', null],
    ] as const) {
      await cache.set(key, value);
      assert.equal(
        (await h.raw(h.storedKey(key)))?.[0],
        MAGIC,
        `${key} starts with the envelope's magic byte`,
      );
    }
  },

  async 'an entry written with one serializer reads with the other'(h) {
    const msgpack = h.cache({ serializer: 'msgpack' });
    const json = h.cache({ serializer: 'json' });
    const value = { when: new Date(1_000), tags: new Set(['a']), count: 3n, bytes: null, list: [1, 'two'] };
    await msgpack.set('from-msgpack', value);
    await json.set('from-json', value);
    assert.deepStrictEqual(await json.get('from-msgpack'), value);
    assert.deepStrictEqual(await msgpack.get('from-json'), value);
    await json.set('counter', 5);
    assert.equal(await msgpack.incr('counter'), 6);
  },

  async 'foreign, corrupt or truncated bytes read as a miss with an E_DECODE event, and never throw'(h) {
    const samples = await corruptSamples(h);
    for (const policy of ['degrade', 'throw'] as const) {
      const cache = h.cache({ onError: policy });
      for (const [label, bytes] of samples) {
        await h.writeRaw(h.storedKey('corrupt'), bytes);
        await expectDecodeMiss(h, cache, label, policy);
      }
    }
  },

  async 'a corrupt entry can be overwritten, deleted and re-added'(h) {
    const cache = h.cache();
    await h.writeRaw(h.storedKey('corrupt'), utf8('garbage'));
    assert.equal(
      await cache.getOrSet('corrupt', 'fresh'),
      'fresh',
      'getOrSet of a corrupt entry returns the computed value',
    );
    h.takeErrors();
    await cache.set('corrupt', 'replaced');
    assert.equal(await cache.get('corrupt'), 'replaced');
    await h.writeRaw(h.storedKey('corrupt'), utf8('garbage'));
    assert.equal(await cache.delete('corrupt'), true);
    assert.equal(await cache.add('corrupt', 'added'), 'stored');
    assert.equal(await cache.get('corrupt'), 'added');
  },
});
