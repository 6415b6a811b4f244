/**
 * Small process and network helpers shared by scripts/test.mjs, the servers it
 * provides (scripts/test-postgres.mjs) and `npm run demo` (examples/store/demo/,
 * through test-helpers.d.mts). Plain JavaScript with no dependencies.
 */
import { statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The full path of `command` in a directory of PATH, or undefined. @param {string} command */
export function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** True when `command` is a file in a directory of PATH. @param {string} command */
export function onPath(command) {
  return findOnPath(command) !== undefined;
}

/** A TCP port nothing listens on right now (the OS picks it). @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * True when a Redis at host:port answers PING without credentials. Raw RESP over a
 * socket, so no client library is needed before `npm ci` has finished (and the demo
 * probes a machine's Redis with it too).
 * @param {string} host @param {number} port @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
export function redisAnswers(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = '';
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      // `-NOAUTH` or `-DENIED` (protected mode) also end in CRLF: reachable, not usable.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
