/**
 * Expiry cases: the stored session follows its cookie's maxAge, a cookie
 * without one gets the store's default, and `touch` moves the expiry.
 *
 * Real waits, with margins only in the safe direction (CI is a loaded
 * machine): "gone" is checked well after the latest moment the session may
 * expire; "still there" only while it is still well before the earliest, and
 * when a late timer makes that impossible the detail says the check was not
 * conclusive rather than failing.
 */
import { randomBytes } from 'node:crypto';
import { cookieOf, expect, type SessionStoreCase, show, sleep, storedExpiresAt } from './session-case.js';

const TTL_MAX_AGE_MS = 3_000;
/** When the TTL case checks that the session is gone, after its creation finished. */
const TTL_GONE_AFTER_MS = 4_500;
const TOUCH_MAX_AGE_MS = 4_000;
/** When the touch case sends its unmodified request, after the creation finished. */
const TOUCH_AT_MS = 2_500;
/** When it checks the touched session outlived its first expiry (which was at most TOUCH_MAX_AGE_MS). */
const OUTLIVE_CHECK_AT_MS = 4_800;
/** How long after the touched expiry the session must be gone. */
const GONE_MARGIN_MS = 2_000;
/** A "still there" check counts only if it ran at least this long before the expiry it relies on. */
const SAFE_BEFORE_MS = 700;

/** The expiry cases: maxAge, the store's default, touch. */
export const expiryCases: readonly SessionStoreCase[] = [
  {
    name: "ttl: the stored session expires with the cookie's maxAge",
    async run(ctx) {
      const app = await ctx.startApp({ maxAgeMs: TTL_MAX_AGE_MS });
      const startedAt = Date.now();
      const created = await app.login({ owner: `ttl-${randomBytes(4).toString('hex')}` });
      const cookie = cookieOf(created, 'creating the session');
      const createdAt = Date.now();
      // Read through the store, not over HTTP: an unmodified request would touch it.
      const fresh = await ctx.stored(created.id);
      const checkedFresh = Date.now() - startedAt < TTL_MAX_AGE_MS - SAFE_BEFORE_MS;
      if (checkedFresh) expect(fresh != null, 'the session was gone right after it was created');
      await sleep(createdAt + TTL_GONE_AFTER_MS - Date.now());
      const late = await ctx.stored(created.id);
      expect(
        late == null,
        `store.get still gave the session ${Date.now() - createdAt} ms after a ${TTL_MAX_AGE_MS} ms maxAge`,
      );
      const served = await app.whoami(cookie);
      expect(
        served.status === 200 && Object.keys(served.fields).length === 0,
        `the expired session was still served: ${show(served)}`,
      );
      return `present after creation${checkedFresh ? '' : ' (not checked: the machine was too slow)'}, gone ${TTL_GONE_AFTER_MS} ms after (maxAge ${TTL_MAX_AGE_MS} ms)`;
    },
  },
  {
    name: "ttl: a session cookie without maxAge gets the store's default expiry, not forever",
    needs: 'ttlOf',
    async run(ctx) {
      const app = await ctx.startApp();
      const created = await app.login({ owner: `no-max-age-${randomBytes(4).toString('hex')}` });
      cookieOf(created, 'creating the session');
      const stored = await ctx.stored(created.id);
      expect(stored != null, 'store.get gave no session right after it was created');
      const ttlMs = await ctx.harness.ttlOf?.(created.id);
      expect(ttlMs !== undefined, 'ttlOf reports no stored session');
      expect(ttlMs !== Number.POSITIVE_INFINITY, 'stored with no expiry: the store keeps it forever');
      expect(ttlMs > 0, `ttlOf reports ${ttlMs} ms left right after creation`);
      return `stored with the store's default: ${Math.round(ttlMs / 1000)} s left`;
    },
  },
  {
    name: 'touch: an unmodified request moves the stored expiry forward',
    async run(ctx) {
      const app = await ctx.startApp({ maxAgeMs: TOUCH_MAX_AGE_MS });
      const created = await app.login({ owner: `touch-${randomBytes(4).toString('hex')}` });
      const cookie = cookieOf(created, 'creating the session');
      const createdAt = Date.now();
      const firstExpiresAt = storedExpiresAt(await ctx.stored(created.id));
      expect(firstExpiresAt !== undefined, 'the stored session has no cookie.expires to move');

      await sleep(createdAt + TOUCH_AT_MS - Date.now());
      const touchSentAt = Date.now();
      const touched = await app.whoami(cookie);
      const touchDoneAt = Date.now();
      expect(touched.status === 200, `the unmodified request: HTTP ${touched.status} (${touched.error})`);
      const problems: string[] = [];
      const movedExpiresAt = storedExpiresAt(await ctx.stored(created.id));
      // It moved by at least TOUCH_AT_MS on any clock; asking for 1.5 s less leaves the margin.
      if (movedExpiresAt === undefined || movedExpiresAt < firstExpiresAt + TOUCH_AT_MS - 1_500)
        problems.push(
          `after touch the stored cookie.expires is ${movedExpiresAt === undefined ? 'gone' : new Date(movedExpiresAt).toISOString()}, was ${new Date(firstExpiresAt).toISOString()}`,
        );

      await sleep(createdAt + OUTLIVE_CHECK_AT_MS - Date.now());
      const outlived = await ctx.stored(created.id);
      const conclusive = Date.now() < touchSentAt + TOUCH_MAX_AGE_MS - SAFE_BEFORE_MS;
      if (conclusive && outlived == null)
        problems.push(
          `the touched session was gone ${Date.now() - createdAt} ms after creation (maxAge ${TOUCH_MAX_AGE_MS} ms)`,
        );
      else if (conclusive && (storedExpiresAt(outlived) ?? Number.POSITIVE_INFINITY) < Date.now())
        problems.push('the store still returns the session, but with an expired cookie');

      // The touch happened before its response came back, so it expires by touchDoneAt + maxAge.
      await sleep(touchDoneAt + TOUCH_MAX_AGE_MS + GONE_MARGIN_MS - Date.now());
      const gone = await ctx.stored(created.id);
      if (gone != null)
        problems.push(`still stored ${Date.now() - touchDoneAt} ms after the touch: ${show(gone)}`);
      expect(problems.length === 0, problems.join('; '));
      return `expiry moved by ${Math.round((movedExpiresAt ?? 0) - firstExpiresAt)} ms; outlived its first maxAge${conclusive ? '' : ' (not checked: the machine was too slow)'}; gone after`;
    },
  },
];
