/**
 * The page cache's entry points (`larder/http`, `larder/express`,
 * `larder/fastify`, `larder/hono`, `larder/proxy`) from the same build as
 * the rest of the library (see ./larder-shared.ts, which builds it unless
 * run.ts did), or from the sources with LARDER_BENCH_LIBRARY=src.
 */
import { pathToFileURL } from 'node:url';
import type * as LarderExpress from '../../src/adapters/express/index.js';
import type * as LarderFastify from '../../src/adapters/fastify/index.js';
import type * as LarderHono from '../../src/adapters/hono/index.js';
import type * as LarderHttp from '../../src/http/index.js';
import type * as LarderProxy from '../../src/proxy/index.js';

const given = process.env.LARDER_BENCH_DIST;

/** A module of `src/`, from the build (or the sources). */
export async function loadModule<T>(name: string): Promise<T> {
  return (await import(
    process.env.LARDER_BENCH_LIBRARY === 'src' || given === undefined || given === ''
      ? `../../src/${name}.ts`
      : new URL(`${name}.js`, pathToFileURL(given.endsWith('/') ? given : `${given}/`)).href
  )) as T;
}

const http = await loadModule<typeof LarderHttp>('http/index');
const express = await loadModule<typeof LarderExpress>('adapters/express/index');
const proxy = await loadModule<typeof LarderProxy>('proxy/index');
const fastify = await loadModule<typeof LarderFastify>('adapters/fastify/index');
const hono = await loadModule<typeof LarderHono>('adapters/hono/index');

/** `createHttpCache` from `larder/http`. */
export const createHttpCache = http.createHttpCache;
/** `cachePage` from `larder/express`. */
export const expressCachePage = express.cachePage;
/** `createCachingProxy` from `larder/proxy`. */
export const createCachingProxy = proxy.createCachingProxy;
/** `fastifyLarder` from `larder/fastify`. */
export const fastifyLarder = fastify.fastifyLarder;
/** `cachePage` from `larder/hono`. */
export const honoCachePage = hono.cachePage;
