/**
 * The leakage matrix (issue 11): one table of scenarios run against every
 * page-cache front (Express, Fastify, Hono, the proxy) with real requests.
 * Each scenario names an origin behaviour and two requests, A then B; it
 * asserts whether A's response was stored (a repeat of A is a cache hit and
 * costs no origin call) and that B gets exactly what the origin would give B —
 * never A's page.
 *
 * The origin is `originResponse`: a pure function from a scenario's path and
 * a request to a response, so every front serves the same behaviour and the
 * expected answer to B can be computed.
 */
import assert from 'node:assert/strict';

/** A request of the matrix. */
export interface MatrixRequest {
  readonly method: 'GET' | 'HEAD';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A response as a front returns it. */
export interface MatrixResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** What each front provides. */
export interface MatrixFront {
  readonly name: string;
  request(request: MatrixRequest): Promise<MatrixResponse>;
  /** The origin's calls for a path so far. */
  originCalls(path: string): number;
  /** Wait for stores in the background. */
  settle(): Promise<void>;
}

/** The origin's answer. */
export interface OriginResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

/** Who a request is, as the origin sees it, from the fields the scenario's handler reads. */
function who(headers: Readonly<Record<string, string | undefined>>, reads: readonly string[]): string {
  return reads.map((name) => `${name}=${headers[name] ?? '-'}`).join(';') || 'anyone';
}

interface Scenario {
  readonly name: string;
  /** Unique per scenario and run: `/m/<name>...`. */
  readonly path: string;
  /** The request fields the handler reads to build the page (cookie: the adapters see it read). */
  readonly reads: readonly string[];
  readonly status?: number;
  readonly headers?: Record<string, string | string[]>;
  /** Headers that depend on the request (two Vary lists on one URL). */
  readonly headersFor?: (request: Readonly<Record<string, string | undefined>>) => Record<string, string>;
  readonly a: MatrixRequest;
  readonly b: MatrixRequest;
  readonly stored: boolean;
}

const FRESH = { 'cache-control': 'max-age=60' };

/** The scenarios; `base` makes the paths unique to one front and run. */
export function scenarios(base: string, host: string): Scenario[] {
  const get = (path: string, headers: Record<string, string> = {}): MatrixRequest => ({
    method: 'GET',
    path,
    headers: { host, ...headers },
  });
  const p = (name: string) => `${base}/${name}`;
  return [
    {
      name: 'session cookie present, handler does not read it: one shared page',
      path: p('cookie-unread'),
      reads: [],
      headers: FRESH,
      a: get(p('cookie-unread'), { cookie: 'sid=alice' }),
      b: get(p('cookie-unread'), { cookie: 'sid=bob' }),
      stored: true,
    },
    {
      name: 'session read by the handler: a page per cookie',
      path: p('cookie-read'),
      reads: ['cookie'],
      headers: FRESH,
      a: get(p('cookie-read'), { cookie: 'sid=alice' }),
      b: get(p('cookie-read'), { cookie: 'sid=bob' }),
      stored: true,
    },
    {
      name: 'Authorization: never stored without an explicit allowance',
      path: p('authorization'),
      reads: ['authorization'],
      headers: FRESH,
      a: get(p('authorization'), { authorization: 'Bearer alice' }),
      b: get(p('authorization'), { authorization: 'Bearer bob' }),
      stored: false,
    },
    {
      name: 'Set-Cookie in the response: not stored',
      path: p('set-cookie'),
      reads: ['cookie'],
      headers: { ...FRESH, 'set-cookie': 'sid=new; HttpOnly' },
      a: get(p('set-cookie'), { cookie: 'sid=alice' }),
      b: get(p('set-cookie'), { cookie: 'sid=bob' }),
      stored: false,
    },
    {
      name: 'Cache-Control: private: not stored',
      path: p('private'),
      reads: ['x-user'],
      headers: { 'cache-control': 'private, max-age=60' },
      a: get(p('private'), { 'x-user': 'alice' }),
      b: get(p('private'), { 'x-user': 'bob' }),
      stored: false,
    },
    {
      name: 'Cache-Control: no-store: not stored',
      path: p('no-store'),
      reads: ['x-user'],
      headers: { 'cache-control': 'no-store' },
      a: get(p('no-store'), { 'x-user': 'alice' }),
      b: get(p('no-store'), { 'x-user': 'bob' }),
      stored: false,
    },
    {
      name: 'Vary: Cookie from the origin: a page per cookie',
      path: p('vary-cookie'),
      reads: ['cookie'],
      headers: { ...FRESH, vary: 'Cookie' },
      a: get(p('vary-cookie'), { cookie: 'sid=alice' }),
      b: get(p('vary-cookie'), { cookie: 'sid=bob' }),
      stored: true,
    },
    {
      name: 'Vary: Accept-Language: a page per language',
      path: p('vary-language'),
      reads: ['accept-language'],
      headers: { ...FRESH, vary: 'Accept-Language' },
      a: get(p('vary-language'), { 'accept-language': 'en' }),
      b: get(p('vary-language'), { 'accept-language': 'fr' }),
      stored: true,
    },
    {
      // English pages vary on the language; others are personalised as well.
      name: 'two Vary lists on one URL do not collide',
      path: p('two-vary'),
      reads: ['accept-language', 'x-user'],
      headersFor: (request) => ({
        ...FRESH,
        vary: request['accept-language'] === 'en' ? 'Accept-Language' : 'Accept-Language, X-User',
      }),
      a: get(p('two-vary'), { 'accept-language': 'fr', 'x-user': 'alice' }),
      b: get(p('two-vary'), { 'accept-language': 'fr', 'x-user': 'bob' }),
      stored: true,
    },
    {
      name: 'an unknown Host is never a key',
      path: p('unknown-host'),
      reads: ['host'],
      headers: FRESH,
      a: { method: 'GET', path: p('unknown-host'), headers: { host: 'evil.example' } },
      b: { method: 'GET', path: p('unknown-host'), headers: { host: 'evil.example', 'x-b': '1' } },
      stored: false,
    },
    {
      name: 'query variants are different pages',
      path: p('query'),
      reads: [],
      headers: FRESH,
      a: get(`${p('query')}?user=alice`),
      b: get(`${p('query')}?user=bob`),
      stored: true,
    },
    {
      name: 'HEAD after GET is answered from the stored GET',
      path: p('head'),
      reads: [],
      headers: FRESH,
      a: get(p('head')),
      b: { method: 'HEAD', path: p('head'), headers: { host } },
      stored: true,
    },
    {
      name: '404 with explicit freshness is stored, and served to anyone',
      path: p('not-found'),
      reads: [],
      status: 404,
      headers: FRESH,
      a: get(p('not-found')),
      b: get(p('not-found'), { cookie: 'sid=bob' }),
      stored: true,
    },
    {
      name: '500 without explicit freshness is never stored',
      path: p('error'),
      reads: ['x-user'],
      status: 500,
      headers: {},
      a: get(p('error'), { 'x-user': 'alice' }),
      b: get(p('error'), { 'x-user': 'bob' }),
      stored: false,
    },
    {
      name: 'a 302 redirect without explicit freshness is not stored',
      path: p('redirect'),
      reads: ['x-user'],
      status: 302,
      headers: { location: '/elsewhere' },
      a: get(p('redirect'), { 'x-user': 'alice' }),
      b: get(p('redirect'), { 'x-user': 'bob' }),
      stored: false,
    },
  ];
}

/** The origin: the response a scenario's handler gives a request (`path` without its query). */
export function originResponse(
  list: readonly Scenario[],
  path: string,
  target: string,
  headers: Readonly<Record<string, string | undefined>>,
): OriginResponse | undefined {
  const scenario = list.find((s) => s.path === path);
  if (scenario === undefined) return undefined;
  const query = target.includes('?') ? target.slice(target.indexOf('?')) : '';
  return {
    status: scenario.status ?? 200,
    headers: { 'content-type': 'text/plain', ...scenario.headers, ...scenario.headersFor?.(headers) },
    body: `${scenario.name} for ${who(headers, scenario.reads)}${query}`,
  };
}

/** Run the matrix against one front. */
export async function runLeakageMatrix(front: MatrixFront, list: readonly Scenario[]): Promise<void> {
  const failures: string[] = [];
  for (const scenario of list) {
    const { a, b } = scenario;
    const first = await front.request(a);
    await front.settle();
    const again = await front.request(a);
    await front.settle();
    const storedSeen =
      front.originCalls(scenario.path) === 1 && /\bhit\b/.test(again.headers['cache-status'] ?? '');
    if (storedSeen !== scenario.stored)
      failures.push(
        `${scenario.name}: stored ${storedSeen}, expected ${scenario.stored} (origin calls ${front.originCalls(scenario.path)})`,
      );
    if (again.body !== first.body) failures.push(`${scenario.name}: A's repeat got another body`);
    const second = await front.request(b);
    const expected = originResponse(list, scenario.path, b.path, b.headers);
    const expectedBody = b.method === 'HEAD' ? '' : (expected?.body ?? '');
    if (second.body !== expectedBody)
      failures.push(
        `${scenario.name}: B got ${JSON.stringify(second.body)}, the origin gives B ${JSON.stringify(expectedBody)}`,
      );
    if (second.status !== (expected?.status ?? 0))
      failures.push(`${scenario.name}: B got status ${second.status}`);
    const setCookie = second.headers['set-cookie'];
    if (setCookie !== undefined && !/\bsid=new\b/.test(setCookie))
      failures.push(`${scenario.name}: B got a foreign Set-Cookie`);
    if (
      /\bhit\b/.test(second.headers['cache-status'] ?? '') &&
      scenario.headers?.['set-cookie'] !== undefined &&
      setCookie !== undefined
    )
      failures.push(`${scenario.name}: a stored response replayed Set-Cookie`);
  }
  assert.deepEqual(failures, [], `${front.name}: ${failures.length} scenario(s) leaked or misbehaved`);
}
