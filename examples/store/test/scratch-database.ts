/**
 * A database of a test's own on the test Postgres (`DATABASE_URL`): the shop
 * seeds whole tables under fixed names, so a schema would not isolate it from
 * another run the way a database does.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database created for one test file; `drop` removes it (and is safe to call twice). */
export interface ScratchDatabase {
  /** Its name: `<name>_<pid>_<random>`, lower case. */
  readonly name: string;
  /** `DATABASE_URL` with its database replaced by this one. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database `<name>_<pid>_<random>` through `serverUrl`.
 * @example const db = await createScratchDatabase(databaseUrl(), 'shop_browser'); try { … } finally { await db.drop(); }
 */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<ScratchDatabase> {
  const safe = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const database = `${safe}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  let dropped = false;
  return {
    name: database,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      // FORCE (Postgres 13+) ends connections a shop closed in a hurry may have left behind.
      await withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
      );
      dropped = true;
    },
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
