/**
 * Race cases: two requests on one session that express-session lets overlap.
 * The server orders them (session-app.ts): both load before either acts, and
 * one finishes, save included, before the other acts. A store that writes the
 * whole session back (express-session's MemoryStore, connect-redis) fails
 * them; that is the point of running them against those stores too.
 */
import { randomBytes } from 'node:crypto';
import type { SessionApp } from './session-app.js';
import {
  cookieOf,
  expect,
  inParallel,
  type SessionCaseContext,
  type SessionStoreCase,
  show,
} from './session-case.js';

/** Pairs or rounds in flight at once: enough overlap between pairs, few enough sockets. */
const IN_FLIGHT = 20;

/** The race cases: destroy against a save, and concurrent field updates. */
export const raceCases: readonly SessionStoreCase[] = [
  {
    name: 'destroy: wins over a concurrent save (no session comes back)',
    async run(ctx) {
      const app = await ctx.startApp();
      const rounds = Math.max(1, Math.round(ctx.settings.pairs / 10));
      const resurrected: string[] = [];
      await inParallel(range(rounds), IN_FLIGHT, async (round) => {
        const created = await app.login({ owner: `round-${round}` });
        const cookie = cookieOf(created, `round ${round}: creating the session`);
        const r = `r${round}`;
        // S loads, L destroys once S has loaded, S changes a field and saves after L finished.
        const [save, logout] = await Promise.all([
          app.update(cookie, { late: round }, { signal: `${r}.s.loaded`, await: [`${r}.l.done`] }),
          app.logout(cookie, { await: [`${r}.s.loaded`], done: `${r}.l.done` }),
        ]);
        expect(logout.status === 200, `round ${round}: logout HTTP ${logout.status} (${logout.error})`);
        expect(save.status === 200, `round ${round}: the racing save HTTP ${save.status} (${save.error})`);
        const stored = await ctx.stored(created.id);
        const served = await app.whoami(cookie);
        if (stored != null || Object.keys(served.fields).length > 0)
          resurrected.push(`round ${round}: ${show(stored ?? served.fields)}`);
      });
      expect(
        resurrected.length === 0,
        `${resurrected.length} of ${rounds} destroyed sessions came back (${resurrected.slice(0, 2).join('; ')})${timeouts(app)}`,
      );
      return `0 of ${rounds} destroyed sessions came back${timeouts(app)}`;
    },
  },
  {
    name: 'concurrency: two requests changing different fields both keep their change',
    async run(ctx) {
      const app = await ctx.startApp();
      const { lost, total } = await racePairs(ctx, app, true);
      expect(
        lost.length === 0,
        `lost ${lost.length} of ${total} fields (${lost.slice(0, 5).join(', ')}, ...)${timeouts(app)}`,
      );
      return `${ctx.settings.pairs} pairs, 0 of ${total} fields lost${timeouts(app)}`;
    },
  },
  {
    // resave: true (express-session's default) makes the request that changed
    // nothing write its copy back too, as an explicit `req.session.save()` would.
    name: 'concurrency: a change survives a concurrent request that writes the session back unchanged',
    async run(ctx) {
      const app = await ctx.startApp({ resave: true });
      const { lost, total } = await racePairs(ctx, app, false);
      expect(
        lost.length === 0,
        `lost ${lost.length} of ${total} fields (${lost.slice(0, 5).join(', ')}, ...)${timeouts(app)}`,
      );
      return `${ctx.settings.pairs} pairs, 0 of ${total} fields lost${timeouts(app)}`;
    },
  },
];

/**
 * `pairs` pairs of requests on one session: A sets `a<i>`; B sets `b<i>` when
 * `bothChange`, else nothing. Both load before either acts; B acts once A has
 * finished. Returns the fields missing from the session afterwards.
 */
async function racePairs(
  ctx: SessionCaseContext,
  app: SessionApp,
  bothChange: boolean,
): Promise<{ lost: string[]; total: number }> {
  const owner = `pairs-${randomBytes(4).toString('hex')}`;
  const cookie = cookieOf(await app.login({ owner }), 'creating the session');
  const pairs = range(ctx.settings.pairs);
  await inParallel(pairs, IN_FLIGHT, async (i) => {
    const p = `p${i}`;
    const [a, b] = await Promise.all([
      app.update(
        cookie,
        { [`a${i}`]: i },
        { signal: `${p}.a.loaded`, await: [`${p}.b.loaded`], done: `${p}.a.done` },
      ),
      app.update(cookie, bothChange ? { [`b${i}`]: i } : {}, {
        signal: `${p}.b.loaded`,
        await: [`${p}.a.loaded`, `${p}.a.done`],
      }),
    ]);
    expect(
      a.status === 200 && b.status === 200,
      `pair ${i}: HTTP ${a.status} and ${b.status} (${a.error ?? b.error})`,
    );
  });
  const final = await app.whoami(cookie);
  expect(final.status === 200 && final.fields.owner === owner, `the session afterwards: ${show(final)}`);
  const expected = pairs.flatMap((i) => (bothChange ? [`a${i}`, `b${i}`] : [`a${i}`]));
  return { lost: expected.filter((field) => final.fields[field] === undefined), total: expected.length };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Waits that hit the barrier timeout: the store kept the requests from overlapping there. */
function timeouts(app: SessionApp): string {
  const count = app.barrierTimeouts();
  return count === 0 ? '' : ` (${count} barrier waits timed out: those requests did not overlap)`;
}
