/**
 * `rediss://` with an ACL user and a database index, end to end: a private
 * redis-server with TLS (a throwaway CA made with the openssl CLI) and an ACL user.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { isLarderError, type LarderError } from '../../core/errors.js';
import { mapped } from '../../test-support/mapped.js';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server.js';
import { redisStore } from './redis-store.js';

/** A CA and a server certificate for 127.0.0.1, valid for a day. */
function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=Larder test CA',
  );
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
  );
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

describe('redisStore over rediss:// with an ACL user and a database', () => {
  let dir: string;
  let server: RedisServer;
  let ca: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'larder-tls-'));
    const files = makeCertificates(dir);
    ca = readFileSync(files.caFile, 'utf8');
    server = await startRedisServer({
      tls: files,
      args: ['--user', 'alice', 'on', '>s3cret', '~*', '&*', '+@all'],
    });
  });

  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with TLS as the ACL user and writes into the selected database', async () => {
    const url = `rediss://alice:s3cret@127.0.0.1:${server.tlsPort}/2`;
    const store = redisStore({ url, clientOptions: { socket: { tls: true, ca } } });
    const admin = createClient({ url: `redis://alice:s3cret@127.0.0.1:${server.port}/2` });
    admin.on('error', () => {});
    try {
      await Promise.all([store.ready(), admin.connect()]);
      await store.set('greeting', Buffer.from('hello over TLS'), 10_000);
      assert.equal(Buffer.from((await store.get('greeting')) as Uint8Array).toString(), 'hello over TLS');
      // The key sits in database 2, written by alice.
      assert.equal(await admin.get('greeting'), 'hello over TLS');
      await admin.select(0);
      assert.equal(await admin.exists('greeting'), 0);
      // The store's own connection: on the TLS port, database 2, user alice.
      const clients = await admin.sendCommand<string>(['CLIENT', 'LIST']);
      assert.match(clients, new RegExp(`laddr=127\\.0\\.0\\.1:${server.tlsPort} .*db=2 .*user=alice`));
    } finally {
      await store.close();
      admin.destroy();
    }
  });

  it('refuses a server certificate it cannot verify, as a connection error', async () => {
    const seen: LarderError[] = [];
    const store = redisStore({
      url: `rediss://alice:s3cret@127.0.0.1:${server.tlsPort}`,
      reconnect: { initialDelay: 20, maxDelay: 100 },
      onConnectionError: (error) => seen.push(error),
    });
    try {
      await sleep(300);
      assert.ok(seen.length > 0 && seen.every((error) => isLarderError(error, 'E_STORE')));
      assert.ok(
        seen.some((error) => /certificate/i.test(error.message)),
        seen.map(String).join('\n'),
      );
      await assert.rejects(mapped(store, store.get('greeting')), (error) => isLarderError(error, 'E_STORE'));
    } finally {
      await store.close();
    }
  });

  it('refuses a wrong ACL password', async () => {
    const seen: LarderError[] = [];
    const store = redisStore({
      url: `rediss://alice:wrong@127.0.0.1:${server.tlsPort}`,
      clientOptions: { socket: { tls: true, ca } },
      reconnect: { initialDelay: 20, maxDelay: 100 },
      onConnectionError: (error) => seen.push(error),
    });
    try {
      await sleep(300);
      assert.ok(
        seen.some((error) => /WRONGPASS/.test(error.message)),
        seen.map(String).join('\n'),
      );
    } finally {
      await store.close();
    }
  });
});
