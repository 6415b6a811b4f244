/**
 * The per-request debug panel (django-debug-toolbar's cache panel, small):
 * this request's database statements, its cache hits and misses per layer,
 * and its time, added to HTML pages as they leave the server — after the
 * page cache, so a page served from the cache shows a panel of its own
 * request. Development only: it buffers HTML responses.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Counts, RequestStats } from './request-stats.js';

/** The outermost middleware: counts every request; with `panel`, shows the counts on HTML pages. */
export function requestPanel(
  stats: RequestStats,
  options: { readonly panel: boolean; readonly pageLayer: boolean; readonly mode: string },
) {
  return (request: Request, response: Response, next: NextFunction) => {
    const startedAt = performance.now();
    stats.track((counts) => {
      noteCacheStatus(response);
      response.once('finish', () => pageOutcome(stats, response, options.pageLayer, counts));
      if (options.panel && (request.method === 'GET' || request.method === 'HEAD')) {
        // A conditional request would get a 304 without a panel: every page comes whole instead.
        delete request.headers['if-none-match'];
        delete request.headers['if-modified-since'];
        addPanel(response, () =>
          panelHtml(
            options.mode,
            counts,
            pageState(response, options.pageLayer),
            performance.now() - startedAt,
          ),
        );
      }
      next();
    });
  };
}

/** Marks a request whose route looks the page cache up (see shop.ts). */
export const PAGE_ROUTE = 'larderPageRoute';

function pageState(response: Response, pageLayer: boolean): 'hit' | 'miss' | 'off' {
  if (!pageLayer || response.locals[PAGE_ROUTE] !== true) return 'off';
  const status = String(response.locals[CACHE_STATUS] ?? response.getHeader('cache-status') ?? '');
  return /^larder; hit/.test(status) ? 'hit' : 'miss';
}

function pageOutcome(stats: RequestStats, response: Response, pageLayer: boolean, counts: Counts): void {
  const state = pageState(response, pageLayer);
  if (state !== 'off') stats.lookupFor(counts, 'page', state === 'hit');
}

function panelHtml(mode: string, counts: Counts, page: string, ms: number): string {
  const attributes = [
    `data-mode="${mode}"`,
    `data-db-queries="${counts.dbQueries}"`,
    `data-page="${page}"`,
    `data-fragment-hits="${counts.fragment.hits}"`,
    `data-fragment-misses="${counts.fragment.misses}"`,
    `data-query-hits="${counts.query.hits}"`,
    `data-query-misses="${counts.query.misses}"`,
    `data-ms="${ms.toFixed(1)}"`,
  ].join(' ');
  return `<aside id="larder-panel" ${attributes}>
<div><b>Larder</b> · mode <b>${mode}</b> · this request</div>
<div>database statements: <b>${counts.dbQueries}</b></div>
<div>page cache: <b>${page}</b></div>
<div>fragments: <b>${counts.fragment.hits}</b> hits, <b>${counts.fragment.misses}</b> misses</div>
<div>SQL results: <b>${counts.query.hits}</b> hits, <b>${counts.query.misses}</b> misses</div>
<div>time: <b>${ms.toFixed(1)} ms</b></div>
</aside>`;
}

const CACHE_STATUS = 'larderCacheStatus';

/** Keep the `Cache-Status` a cached answer passes to `writeHead` (it never reaches `getHeader`). */
function noteCacheStatus(response: Response): void {
  const writeHead = response.writeHead;
  response.writeHead = function (this: Response, ...args: unknown[]) {
    const headers = args.find((item) => typeof item === 'object' && item !== null && !Array.isArray(item));
    const status = (headers as Record<string, unknown> | undefined)?.['cache-status'];
    if (status !== undefined) response.locals[CACHE_STATUS] = String(status);
    return (writeHead as (...a: unknown[]) => Response).apply(this, args);
  } as Response['writeHead'];
}

/** Buffer an HTML response and add `panel()` before `</body>`. */
function addPanel(response: Response, panel: () => string): void {
  const writeHead = response.writeHead.bind(response) as (status: number) => Response;
  const write = response.write.bind(response) as (chunk: Buffer) => boolean;
  const end = response.end.bind(response) as (chunk?: Buffer) => Response;
  const chunks: Buffer[] = [];
  let html: boolean | undefined;
  let status = 200;
  const isHtml = () => {
    html ??= /^text\/html/i.test(String(response.getHeader('content-type') ?? ''));
    return html;
  };
  response.writeHead = ((code: number, ...rest: unknown[]) => {
    const headers = rest.find((item) => typeof item === 'object' && item !== null);
    if (headers !== undefined && !Array.isArray(headers))
      for (const [name, value] of Object.entries(headers))
        if (value !== undefined) response.setHeader(name, value as string);
    status = code;
    if (!isHtml()) return writeHead(code);
    return response;
  }) as Response['writeHead'];
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!response.headersSent && html === undefined) response.writeHead(response.statusCode);
    if (!isHtml()) return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk, rest[0]));
    return true;
  }) as Response['write'];
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (!response.headersSent && html === undefined) response.writeHead(response.statusCode);
    if (!isHtml()) return (end as (...a: unknown[]) => Response)(chunk, ...rest);
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function')
      chunks.push(toBuffer(chunk, rest[0]));
    const body = Buffer.concat(chunks).toString('utf8');
    const at = body.lastIndexOf('</body>');
    const withPanel = Buffer.from(at < 0 ? body : `${body.slice(0, at)}${panel()}\n${body.slice(at)}`);
    // The body changed: its validators no longer name it.
    response.removeHeader('etag');
    response.removeHeader('last-modified');
    response.setHeader('content-length', withPanel.byteLength);
    writeHead(status);
    return end(response.req.method === 'HEAD' ? undefined : withPanel);
  }) as Response['end'];
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}
