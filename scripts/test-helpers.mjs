/**
 * Small process and network helpers shared by scripts/test.mjs and the servers it
 * provides (scripts/test-postgres.mjs). Plain JavaScript with no dependencies.
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
