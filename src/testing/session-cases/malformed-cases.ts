/**
 * Malformed-value cases: the harness's `corrupt` hook writes bad bytes where the
 * store keeps a session; the request carrying that session's cookie must get a
 * clean "no session" (HTTP 200, a fresh session or none), never a crash, an
 * error page or another user's data. A store may report what it found as an
 * `error` event; `store.get` itself must call back "no session", since
 * express-session turns a `get` error into a failed request.
 */
import { randomBytes } from 'node:crypto';
import { cookieOf, expect, type SessionCaseContext, type SessionStoreCase, show } from './session-case.js';
import type { SessionCorruption } from './session-store-harness.js';

type Kind = SessionCorruption['kind'];

const TITLES: Readonly<Record<Kind, string>> = {
  malformed: 'malformed: bytes that do not decode are no session',
  'wrong-shape': 'malformed: a value that decodes to something other than a session is no session',
  oversized: 'malformed: an oversized stored value is no session',
  foreign: "malformed: another session's bytes under this session's id never show that session",
};

/** One case per kind of corruption. */
export const malformedCases: readonly SessionStoreCase[] = (Object.keys(TITLES) as Kind[]).map((kind) => ({
  name: TITLES[kind],
  needs: 'corrupt' as const,
  run: (ctx: SessionCaseContext) => corruptedSessionIsNoSession(ctx, kind),
}));

async function corruptedSessionIsNoSession(ctx: SessionCaseContext, kind: Kind): Promise<string> {
  const app = await ctx.startApp();
  const victim = await app.login({ owner: `victim-${randomBytes(4).toString('hex')}` });
  const cookie = cookieOf(victim, 'creating the session');
  let corruption: SessionCorruption;
  let otherOwner: string | undefined;
  if (kind === 'foreign') {
    otherOwner = `other-${randomBytes(4).toString('hex')}`;
    const other = await app.login({ owner: otherOwner, secret: 'only for the other user' });
    cookieOf(other, 'creating the other session');
    corruption = { kind, fromSessionId: other.id };
  } else if (kind === 'oversized') {
    corruption = { kind, bytes: ctx.settings.oversizedBytes };
  } else {
    corruption = { kind };
  }
  await ctx.harness.corrupt?.(victim.id, corruption);

  const served = await app.whoami(cookie);
  expect(
    served.status === 200,
    `the request with the corrupt session got HTTP ${served.status}${served.error === undefined ? '' : ` (${served.error})`}`,
  );
  expect(
    otherOwner === undefined || served.fields.owner !== otherOwner,
    `served another user's session: ${show(served.fields)}`,
  );
  expect(
    Object.keys(served.fields).length === 0,
    `served the corrupt value as a session: ${show(served.fields)}`,
  );
  let direct: unknown;
  try {
    direct = await ctx.stored(victim.id);
  } catch (error) {
    throw new Error(`store.get failed on it (express-session would fail the request): ${String(error)}`);
  }
  expect(direct == null, `store.get gave ${show(direct)}, not "no session"`);

  // The visitor can start over: a new session is written and served.
  const again = await app.login({ owner: 'starting over' }, cookie);
  const fresh = await app.whoami(cookieOf(again, 'starting a new session'));
  expect(fresh.fields.owner === 'starting over', `the new session after it: ${show(fresh)}`);
  const events = ctx.storeErrors.length;
  return `no session, then a fresh one${events === 0 ? '' : ` (${events} error event(s))`}`;
}
