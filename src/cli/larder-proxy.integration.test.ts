/**
 * `larder proxy` as a process: it listens, caches with Redis, says where, and
 * stops cleanly on SIGTERM (exit 0); bad arguments exit 2 with a message.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { redisUrl, uniquePrefix } from '../test-support/env.js';
import { httpRequest } from '../test-support/http-request.js';

const BIN = new URL('./larder.ts', import.meta.url).pathname;

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('larder proxy (the command)', () => {
  it('proxies and caches with Redis, then stops on SIGTERM with exit code 0', async () => {
    let calls = 0;
    const origin = http.createServer((_request, response) => {
      calls++;
      response
        .writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' })
        .end(`origin ${calls}`);
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const prefix = uniquePrefix('larder-proxy-command');
    const proxy = start([
      'proxy',
      '--origin',
      originUrl,
      '--port',
      '0',
      '--redis',
      redisUrl(),
      '--prefix',
      prefix,
    ]);
    try {
      while (!/listening on/.test(proxy.output().stdout)) {
        if (proxy.child.exitCode !== null) assert.fail(`exited early: ${proxy.output().stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const match = /listening on (http:\/\/[^,\s]+)/.exec(proxy.output().stdout);
      assert.ok(match !== null);
      assert.match(proxy.output().stdout, /store redis/);
      const url = match[1] as string;
      const path = '/page';
      const first = await httpRequest(`${url}${path}`, { headers: { host: 'localhost' } });
      const second = await httpRequest(`${url}${path}`, { headers: { host: 'localhost' } });
      assert.equal(first.body, 'origin 1');
      assert.equal(second.body, 'origin 1');
      assert.match(second.headers['cache-status'] ?? '', /hit/);
      proxy.child.kill('SIGTERM');
      const [code] = await proxy.exited;
      assert.equal(code, 0);
    } finally {
      proxy.child.kill('SIGKILL');
      origin.close();
    }
  });

  it('exits 2 with a clear message on bad arguments', async () => {
    const missing = start(['proxy', '--port', '0']);
    const [code] = await missing.exited;
    assert.equal(code, 2);
    assert.match(missing.output().stderr, /--origin is required/);
    const unknown = start(['frobnicate']);
    assert.equal((await unknown.exited)[0], 2);
    assert.match(unknown.output().stderr, /unknown command 'frobnicate'/);
  });
});
