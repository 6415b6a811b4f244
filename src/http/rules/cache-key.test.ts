import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KeyRules, normalQuery, primaryKey, varyNames, varySelector } from './cache-key.js';

const rules: KeyRules = {
  allowHost: (host) => host === 'shop.example' || host.startsWith('shop.example:'),
  ignoreParam: (name) => name.startsWith('utm_') || name === 'fbclid',
  sortQuery: true,
  maxTargetLength: 100,
};
const key = (target: string, host: string | undefined = 'shop.example', scheme = 'https') =>
  primaryKey({ scheme, host, target }, rules);

describe('primaryKey (RFC 9111 §2)', () => {
  it('is scheme, host, path and the normalised query', () => {
    assert.deepEqual(key('/p?b=2&a=1'), {
      ok: true,
      key: 'https://shop.example/p?a=1&b=2',
      host: 'shop.example',
      path: '/p',
    });
    assert.equal((key('/p?utm_source=x&a=1&fbclid=y') as { key: string }).key, 'https://shop.example/p?a=1');
    assert.equal((key('/p?utm_source=x') as { key: string }).key, 'https://shop.example/p');
    assert.equal(
      (key('/p', 'SHOP.Example') as { key: string }).key,
      'https://shop.example/p',
      'hosts are case-insensitive',
    );
    assert.notEqual(
      (key('/p', 'shop.example', 'http') as { key: string }).key,
      (key('/p') as { key: string }).key,
    );
  });

  it('never makes a key of an unknown, missing or hostile Host', () => {
    for (const host of [
      undefined,
      '',
      'evil.example',
      'shop.example.evil.example',
      'shop.example\r\nx: y',
      'shop.example\0',
    ])
      assert.deepEqual(
        primaryKey({ scheme: 'https', host, target: '/p' }, rules),
        { ok: false, reason: 'host' },
        JSON.stringify(host),
      );
  });

  it('never makes a key of an overlong target, or one with whitespace, controls or non-ASCII', () => {
    for (const target of [
      `/${'a'.repeat(100)}`,
      '/a b',
      '/a\r\nb',
      '/a\0',
      '/é',
      'http://shop.example/p',
      '',
      '*',
    ])
      assert.deepEqual(key(target), { ok: false, reason: 'target' }, JSON.stringify(target));
  });

  it('keeps the order of repeated parameters, which the application may read', () => {
    assert.equal(normalQuery('b=1&a=2&a=1', rules), 'a=2&a=1&b=1');
    assert.equal(normalQuery('b=1&a=2', { ...rules, sortQuery: false }), 'b=1&a=2');
    assert.equal(normalQuery('utm%5Fsource=x&a=1', rules), 'a=1', 'names are compared decoded');
    assert.equal(normalQuery('%E0%A4%A=1', rules), '%E0%A4%A=1', 'a name that does not decode is kept raw');
  });
});

describe('Vary (RFC 9111 §4.1)', () => {
  it('lists the lowercase, sorted, distinct field names, or *', () => {
    assert.deepEqual(varyNames({ vary: ['Accept-Language, cookie', 'COOKIE'] }), [
      'accept-language',
      'cookie',
    ]);
    assert.equal(varyNames({ vary: 'Accept, *' }), '*');
    assert.deepEqual(varyNames({}), []);
  });

  it('encodes the selecting values so that they cannot run together (Django joined them without a delimiter)', () => {
    const names = ['accept-language', 'x-country'];
    const a = varySelector(names, { 'accept-language': 'en', 'x-country': 'US' }, 100);
    const b = varySelector(names, { 'accept-language': 'enU', 'x-country': 'S' }, 100);
    assert.notEqual(a, b);
    assert.notEqual(
      varySelector(['x'], {}, 100),
      varySelector(['x'], { x: '' }, 100),
      'an absent field differs from an empty one',
    );
    assert.equal(
      varySelector(['accept'], { accept: ['text/html', 'application/json'] }, 100),
      varySelector(['accept'], { accept: 'text/html , application/json' }, 100),
      'lines and whitespace around commas are normalised',
    );
  });

  it('refuses values with CR, LF or NUL, or over the length limit', () => {
    assert.equal(varySelector(['cookie'], { cookie: 'a=1\r\nSet-Cookie: x' }, 100), undefined);
    assert.equal(varySelector(['cookie'], { cookie: 'a\0' }, 100), undefined);
    assert.equal(varySelector(['cookie'], { cookie: 'x'.repeat(101) }, 100), undefined);
  });
});
