/**
 * A database of a test's own on the test Postgres (`DATABASE_URL`): the shop
 * seeds whole tables under fixed names, so a schema would not isolate it from
 * another run the way a database does.
 */

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** How long `drop` lets the database's other connections end on their own before it ends them. */
const DRAIN_WAIT_MS = 5_000;

/** A database created for one test file. */
export interface ScratchDatabase {
  /** Its name: `<name>_<pid>_<random>`, lower case. */
  readonly name: string;
  /** `DATABASE_URL` with its database replaced by this one. */
  readonly url: string;
  /**
   * Drops the database (safe to call twice). Resolves to the connections that
   * were still open after a wait and had to be ended: what closed its pools too
   * early, or not at all, to report.
   */
  drop(): Promise<string[]>;
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
      if (dropped) return [];
      const ended = await withClient(serverUrl, async (client) => {
        const left = await waitForDisconnects(client, database);
        // A logical replication slot on the database blocks its DROP even WITH (FORCE): a
        // shop whose close failed may have left its CDC slot behind.
        await client.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active',
          [database],
        );
        // FORCE (Postgres 13+) ends the connections still open; their clients see an error.
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        return left;
      });
      dropped = true;
      return ended;
    },
  };
}

/** The connections to `database` still open after DRAIN_WAIT_MS, described; `[]` once there are none. */
async function waitForDisconnects(client: pg.Client, database: string): Promise<string[]> {
  const deadline = Date.now() + DRAIN_WAIT_MS;
  for (;;) {
    const { rows } = await client.query<{ pid: number; state: string | null; query: string }>(
      'SELECT pid, state, query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    if (rows.length === 0) return [];
    if (Date.now() >= deadline)
      return rows.map((row) => `pid ${row.pid} (${row.state ?? '?'}): ${row.query.slice(0, 120)}`);
    await sleep(100);
  }
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
