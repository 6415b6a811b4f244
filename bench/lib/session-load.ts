/**
 * The client side of bench/sessions.ts: sessions made through the app's own
 * login route, autocannon driving a route with those sessions' cookies, and
 * the lost-update check (pairs of overlapping requests on one session, each
 * setting a different field).
 */
import autocannon from 'autocannon';

/** Make `count` sessions (GET /login), `concurrency` at a time; resolves their `Cookie` headers. */
export async function createSessions(baseUrl: string, count: number, concurrency = 50): Promise<string[]> {
  const cookies: string[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, async () => {
      const response = await fetch(new URL('/login', baseUrl));
      await response.text();
      const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
      if (response.status !== 200 || cookie === undefined)
        throw new Error(`/login: status ${response.status}, no session cookie`);
      return cookie;
    });
    cookies.push(...(await Promise.all(batch)));
  }
  return cookies;
}

/** What one autocannon run saw. */
export interface LoadFigures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers, connection errors and timeouts. */
  readonly errors: number;
  readonly requests: number;
}

/**
 * `path` under load for `seconds`, every request carrying the next cookie of
 * `cookies` in turn. autocannon keeps no per-connection state across
 * requests, so sessions rotate over all connections: with many more sessions
 * than connections two requests of one session are rarely in flight together
 * (the server counts when they are).
 */
export async function loadWithSessions(
  baseUrl: string,
  path: string,
  cookies: readonly string[],
  options: { readonly connections: number; readonly seconds: number },
): Promise<LoadFigures> {
  let next = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (request) => {
          const cookie = cookies[next++ % cookies.length] ?? '';
          return { ...request, headers: { ...request.headers, cookie } };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

/** What the lost-update phase found. */
export interface LostUpdates {
  readonly pairs: number;
  /** Fields set by a request that answered 200 and missing when the session is read afterwards. */
  readonly lost: number;
  /** Requests of the phase that did not answer 200. */
  readonly errors: number;
}

async function get(baseUrl: string, path: string, cookie: string): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(path, baseUrl), { headers: { cookie } });
  return { status: response.status, body: await response.text() };
}

/**
 * `pairs` sessions; on each, two concurrent requests, one setting `a` and one
 * setting `b` after a server-side pause between load and save (all pairs at
 * once); then each session is read and the missing fields counted. A store
 * that writes the whole session back loses one field of nearly every pair.
 */
export async function measureLostUpdates(baseUrl: string, pairs: number): Promise<LostUpdates> {
  const cookies = await createSessions(baseUrl, pairs);
  let errors = 0;
  const outcomes = await Promise.all(
    cookies.map(async (cookie) => {
      const [a, b] = await Promise.all([
        get(baseUrl, '/slow?field=a', cookie),
        get(baseUrl, '/slow?field=b', cookie),
      ]);
      return { cookie, a: a.status === 200, b: b.status === 200 };
    }),
  );
  let lost = 0;
  for (const outcome of outcomes) {
    errors += (outcome.a ? 0 : 1) + (outcome.b ? 0 : 1);
    const read = await get(baseUrl, '/fields', outcome.cookie);
    if (read.status !== 200) {
      errors++;
      continue;
    }
    const fields = JSON.parse(read.body) as { a: number | null; b: number | null };
    if (outcome.a && fields.a !== 1) lost++;
    if (outcome.b && fields.b !== 1) lost++;
  }
  return { pairs, lost, errors };
}
