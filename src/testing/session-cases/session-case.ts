/** One case of the session-store compliance suite, what it gets to run, and helpers the cases share. */
import type { SessionApp, SessionAppConfig } from './session-app.js';
import type { ExpressSessionStore, SessionStoreHarness } from './session-store-harness.js';

/** The suite's options once resolved: plain numbers. */
export interface SessionSuiteSettings {
  readonly pairs: number;
  readonly requestTimeoutMs: number;
  readonly barrierTimeoutMs: number;
  readonly caseTimeoutMs: number;
  readonly oversizedBytes: number;
}

/** What a case runs with: a fresh store, the harness's hooks, and apps over the store. */
export interface SessionCaseContext {
  readonly harness: SessionStoreHarness;
  /** The store `makeStore` returned for this case. */
  readonly store: ExpressSessionStore;
  readonly settings: SessionSuiteSettings;
  /** Errors the store emitted as `error` events during the case (allowed: not a crash). */
  readonly storeErrors: readonly unknown[];
  /** A real Express app with express-session over `store`; the suite closes it after the case. */
  startApp(config?: SessionAppConfig): Promise<SessionApp>;
  /** What `store.get` calls back with; rejects when it calls back an error or throws. */
  stored(sessionId: string): Promise<unknown>;
}

/** A named case; its name is the test title, the key of `skip`, and a row of the results. */
export interface SessionStoreCase {
  /** `category: what it checks`. */
  readonly name: string;
  /** The harness hook it cannot run without; it is skipped when the harness lacks it. */
  readonly needs?: 'corrupt' | 'ttlOf';
  /** Resolves with what it saw when the store passes; rejects with what went wrong when not. */
  readonly run: (ctx: SessionCaseContext) => Promise<string>;
}

/** The failure a case reports: its message is the result's detail. */
export class SessionCaseFailure extends Error {
  override readonly name = 'SessionCaseFailure';
}

/** Fail the case with `detail` unless `ok`. */
export function expect(ok: boolean, detail: string): asserts ok {
  if (!ok) throw new SessionCaseFailure(detail);
}

/** A real wait: these cases are about wall-clock expiry. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) await work(items[index] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The cookie a response set, or a failure naming the response. */
export function cookieOf(view: { status: number; setCookie?: string; error?: string }, what: string): string {
  expect(
    view.status === 200,
    `${what}: HTTP ${view.status}${view.error === undefined ? '' : ` (${view.error})`}`,
  );
  expect(view.setCookie !== undefined, `${what}: the response set no session cookie`);
  return view.setCookie;
}

/** A short readable form of a value for details. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The stored cookie's `expires` as epoch ms, if the stored session has one. */
export function storedExpiresAt(session: unknown): number | undefined {
  const cookie = (session as { cookie?: { expires?: unknown } } | null | undefined)?.cookie;
  const expires = cookie?.expires;
  if (typeof expires !== 'string' && !(expires instanceof Date)) return undefined;
  const at = new Date(expires).getTime();
  return Number.isNaN(at) ? undefined : at;
}
