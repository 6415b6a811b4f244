/**
 * `larder proxy --origin URL [--port N] [--host ADDRESS] [--redis URL]
 * [--prefix P]
 * [--allow-host NAME]... [--purge-token TOKEN]`: the caching proxy as a
 * process. Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 2 on bad
 * arguments or a port that cannot be bound.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import type { Cache } from '../core/types.js';
import { createCache } from '../create-cache.js';
import { createCachingProxy } from '../proxy/caching-proxy.js';
import { memoryStore } from '../stores/memory/index.js';

const HELP = `usage: larder proxy --origin URL [options]

  --origin URL         the origin every request goes to (required)
  --port N             the port to listen on (default 8080)
  --host ADDRESS       the address to listen on (default 127.0.0.1)
  --redis URL          store pages in Redis (default: REDIS_URL, else the in-process memory store)
  --prefix PREFIX       the key prefix in the store (default larder-proxy)
  --allow-host NAME    a Host clients reach the proxy by, besides localhost (repeatable)
  --purge-token TOKEN  enable PURGE with this bearer token (default: LARDER_PURGE_TOKEN)`;

/** Run the proxy until SIGINT or SIGTERM. */
export async function runProxy(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      origin: { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      redis: { type: 'string' },
      prefix: { type: 'string', default: 'larder-proxy' },
      'allow-host': { type: 'string', multiple: true, default: [] },
      'purge-token': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values.origin === undefined) throw new Error(`--origin is required\n${HELP}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be 0..65535, got '${values.port}'`);
  const redisUrl = values.redis ?? process.env.REDIS_URL;
  // Loaded only when asked for: `redis` is an optional peer dependency.
  const store =
    redisUrl === undefined
      ? memoryStore()
      : (await import('../stores/redis/index.js')).redisStore({ url: redisUrl });
  const cache: Cache = createCache({
    store,
    prefix: values.prefix,
  });
  const purgeToken = values['purge-token'] ?? process.env.LARDER_PURGE_TOKEN;
  const proxy = createCachingProxy({
    origin: values.origin,
    cache,
    hosts: ['localhost', '127.0.0.1', '[::1]', ...values['allow-host']],
    ...(purgeToken === undefined ? {} : { purgeToken }),
  });
  const server = http.createServer(proxy);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, values.host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(
    `larder proxy: listening on http://${values.host}:${bound}, origin ${values.origin}, store ${redisUrl === undefined ? 'memory (this process)' : 'redis'}\n`,
  );
  const stop = () => {
    server.close(() => {
      void proxy
        .idle()
        .then(() => cache.close())
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
