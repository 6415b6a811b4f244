/** The lifecycle case: a session is created, read back, updated and destroyed over HTTP. */
import { randomBytes } from 'node:crypto';
import { cookieOf, expect, type SessionStoreCase, show } from './session-case.js';

/** The lifecycle case. */
export const lifecycleCases: readonly SessionStoreCase[] = [
  {
    name: 'lifecycle: create, read back, update, destroy; an unknown id is no session',
    async run(ctx) {
      const unknown = await ctx.stored(`no-such-session-${randomBytes(8).toString('hex')}`);
      expect(unknown == null, `store.get of an unknown id gave ${show(unknown)}, not "no session"`);

      const app = await ctx.startApp();
      const owner = `alice-${randomBytes(4).toString('hex')}`;
      const created = await app.login({ owner, visits: 1 });
      const cookie = cookieOf(created, 'creating the session');
      const stored = (await ctx.stored(created.id)) as { owner?: unknown } | null | undefined;
      expect(stored?.owner === owner, `store.get after the create gave ${show(stored)}`);

      const read = await app.whoami(cookie);
      expect(
        read.status === 200 && read.id === created.id && read.fields.owner === owner,
        `a later request saw ${show(read)}, not the session it created`,
      );

      const updated = await app.update(cookie, { visits: 2 });
      expect(updated.status === 200, `updating: HTTP ${updated.status} (${updated.error})`);
      const reread = await app.whoami(cookie);
      expect(
        reread.fields.visits === 2 && reread.fields.owner === owner,
        `after the update a request saw ${show(reread.fields)}`,
      );

      const out = await app.logout(cookie);
      expect(out.status === 200, `logging out: HTTP ${out.status} (${out.error})`);
      const gone = await ctx.stored(created.id);
      expect(gone == null, `store.get after the destroy gave ${show(gone)}`);
      const after = await app.whoami(cookie);
      expect(
        after.status === 200 && after.id !== created.id && Object.keys(after.fields).length === 0,
        `the old cookie still has a session after logout: ${show(after)}`,
      );
      return 'created, read back, updated, destroyed; unknown id: no session';
    },
  },
];
