/**
 * One HTTP server of bench/http-pages.ts, in its own process so that the
 * load generator (in the parent) and the server do not share an event loop:
 *
 *   FRONT=express|fastify|hono|node|proxy  MODE=hello|page|redis|tiered|memory  ORIGIN=<url for the proxy>
 *
 * MODE=static serves the page's bytes, rendered once at start, without a cache:
 * what a hit must cost at least (the same bytes through the same framework).
 *
 * Prints `listening <port>` when ready; exits on SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createCachingProxy,
  createHttpCache,
  expressCachePage,
  fastifyLarder,
  honoCachePage,
} from './larder-http.js';
import { createCache, memoryStore, redisStore, tieredStore } from './larder-shared.js';
import { renderPage } from './render-page.js';

const front = process.env.FRONT ?? 'express';
const mode = process.env.MODE ?? 'hello';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.PREFIX ?? 'larder-bench.http';

function store() {
  if (mode === 'redis') return redisStore({ url: redisUrl });
  if (mode === 'tiered') return tieredStore({ l2: redisStore({ url: redisUrl }) });
  return memoryStore();
}

async function handler(): Promise<http.RequestListener> {
  if (front === 'node') {
    const page = Buffer.from(renderPage());
    return (_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': page.byteLength,
        'cache-control': 'max-age=60',
      });
      response.end(page);
    };
  }
  const cache = createCache({ store: store(), prefix });
  if (front === 'proxy') {
    return createCachingProxy({
      origin: process.env.ORIGIN ?? 'http://127.0.0.1:1',
      cache,
      logger: () => {},
    });
  }
  if (front === 'fastify') return fastifyHandler(cache);
  if (front === 'hono') return honoHandler(cache);
  const { default: express } = await import('express');
  const app = express();
  app.set('etag', false);
  if (mode === 'hello') app.get('/', (_request, response) => void response.send('Hello World!'));
  else if (mode === 'static') {
    const page = renderPage();
    app.get('/', (_request, response) => void response.send(page));
  } else if (mode === 'page') app.get('/', (_request, response) => void response.send(renderPage()));
  else {
    const pages = createHttpCache({ cache, hosts: ['127.0.0.1', 'localhost'], logger: () => {} });
    app.get(
      '/',
      expressCachePage(pages, { ttl: '10m' }),
      (_request, response) => void response.send(renderPage()),
    );
  }
  return app as unknown as http.RequestListener;
}

async function fastifyHandler(cache: ReturnType<typeof createCache>): Promise<http.RequestListener> {
  const { default: Fastify } = await import('fastify');
  let listener: http.RequestListener | undefined;
  const app = Fastify({
    serverFactory: (handle) => {
      listener = handle as http.RequestListener;
      return http.createServer();
    },
  });
  if (mode === 'hello') app.get('/', async () => 'Hello World!');
  else if (mode === 'static') {
    const page = renderPage();
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  } else if (mode === 'page')
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderPage()));
  else {
    await app.register(fastifyLarder, {
      http: { cache, hosts: ['127.0.0.1', 'localhost'], logger: () => {} },
    });
    app.get('/', { config: { larder: { ttl: '10m' } } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(renderPage()),
    );
  }
  await app.ready();
  return listener as http.RequestListener;
}

async function honoHandler(cache: ReturnType<typeof createCache>): Promise<http.RequestListener> {
  const { Hono } = await import('hono');
  const { getRequestListener } = await import('@hono/node-server');
  const app = new Hono();
  if (mode === 'hello') app.get('/', (c) => c.text('Hello World!'));
  else if (mode === 'static') {
    const page = renderPage();
    app.get('/', (c) => c.html(page));
  } else if (mode === 'page') app.get('/', (c) => c.html(renderPage()));
  else {
    const pages = createHttpCache({ cache, hosts: ['127.0.0.1', 'localhost'], logger: () => {} });
    app.get('/', honoCachePage(pages, { ttl: '10m' }), (c) => c.html(renderPage()));
  }
  return getRequestListener(app.fetch) as http.RequestListener;
}

const server = http.createServer(await handler());
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
