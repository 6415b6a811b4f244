/**
 * Which Postgres and which cache store the demo uses: `DATABASE_URL` and
 * `REDIS_URL` when set, else servers answering on their default ports, else an
 * embedded Postgres over `<demo dir>/pg` and Larder's in-memory store.
 * `LARDER_DEMO_EMBEDDED=1` forces that fallback whatever is running.
 */
import path from 'node:path';
import pg from 'pg';
import { redisAnswers } from '../../../scripts/test-helpers.mjs';
import { EmbeddedPostgres } from './embedded-postgres.js';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';
const SHOP_DATABASE = 'larder_shop';
const PROBE_TIMEOUT_MS = 1_500;

/** What the demo found or started. */
export interface Services {
  databaseUrl: string;
  /** undefined: the shop uses Larder's in-memory store. */
  redisUrl: string | undefined;
  /** The embedded server, when one was started (stopping it is the caller's, via `defer`). */
  embedded: EmbeddedPostgres | undefined;
}

export interface FindServicesOptions {
  env: NodeJS.ProcessEnv;
  /** Where the embedded Postgres keeps its data (`<dir>/pg`). */
  demoDir: string;
  /** How `demoDir` is shown to the user (relative to the repository when it is inside it). */
  demoDirLabel: string;
  /** Prints one line to the user. */
  say: (line: string) => void;
  /** Registers a cleanup that runs at exit, even when a later step fails. */
  defer: (cleanup: () => Promise<void>) => void;
}

/** Finds, or starts, the services; throws with what failed and where. */
export async function findServices(options: FindServicesOptions): Promise<Services> {
  const { env, say } = options;
  const forced = env.LARDER_DEMO_EMBEDDED === '1';
  let databaseUrl: string | undefined;
  let postgresMissing: string | undefined;
  if (forced) {
    postgresMissing = 'LARDER_DEMO_EMBEDDED=1';
  } else if (env.DATABASE_URL) {
    const failure = await postgresFailure(env.DATABASE_URL);
    if (failure) throw new Error(`DATABASE_URL=${redact(env.DATABASE_URL)}: ${failure}`);
    databaseUrl = env.DATABASE_URL;
  } else {
    const failure = await postgresFailure(LOCAL_POSTGRES);
    if (failure) postgresMissing = `No Postgres on 127.0.0.1:5432 (${failure})`;
    else databaseUrl = await shopDatabase(LOCAL_POSTGRES, say);
  }

  let redisUrl: string | undefined;
  let redisMissing: string | undefined;
  if (forced) redisUrl = undefined;
  else if (env.REDIS_URL) redisUrl = env.REDIS_URL;
  else if (await redisAnswers('127.0.0.1', 6379, PROBE_TIMEOUT_MS)) redisUrl = LOCAL_REDIS;
  else redisMissing = 'no Redis on 127.0.0.1:6379';

  const pgPart = `an embedded Postgres (${path.join(options.demoDirLabel, 'pg')})`;
  const storePart = redisUrl ? `Redis at ${redact(redisUrl)}` : 'the in-memory cache store';
  if (forced) {
    say(`LARDER_DEMO_EMBEDDED=1: using ${pgPart} and ${storePart}.`);
  } else if (postgresMissing) {
    const reasons = redisMissing ? `${postgresMissing} and ${redisMissing}` : postgresMissing;
    say(`${reasons}: using ${pgPart} and ${storePart}.`);
  } else if (redisMissing) {
    say(`${capitalize(redisMissing)}: using the in-memory cache store.`);
  }

  let embedded: EmbeddedPostgres | undefined;
  if (databaseUrl === undefined) {
    embedded = new EmbeddedPostgres(path.join(options.demoDir, 'pg'));
    const started = embedded;
    options.defer(() => started.stop());
    let adminUrl: string;
    try {
      adminUrl = await embedded.start();
    } catch (error) {
      throw new Error(`the embedded Postgres did not start: ${messageOf(error)}`);
    }
    databaseUrl = await shopDatabase(adminUrl, say);
  }
  return { databaseUrl, redisUrl, embedded };
}

/** Why a login to `url` fails (short), or undefined when it works. */
async function postgresFailure(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    // `connect ECONNREFUSED 127.0.0.1:5432` would repeat the address the caller already names.
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : messageOf(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL of database `larder_shop` on the server of `adminUrl`, created when missing. */
async function shopDatabase(adminUrl: string, say: (line: string) => void): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [SHOP_DATABASE]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${SHOP_DATABASE}`);
        say(`Created database ${SHOP_DATABASE} on ${redact(adminUrl)}.`);
      } catch (error) {
        // 42P04 duplicate_database: another demo created it between our check and our CREATE.
        if ((error as { code?: unknown }).code !== '42P04') throw error;
      }
    }
  } catch (error) {
    throw new Error(`could not create database ${SHOP_DATABASE} on ${redact(adminUrl)}: ${messageOf(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(adminUrl);
  url.pathname = `/${SHOP_DATABASE}`;
  return url.href;
}

/** `url` with its password masked, for printing. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    // Not a URL (a key=value connection string): show nothing that could hold a password.
    return url.replace(/password=\S*/gi, 'password=***');
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  if (error instanceof Error) return error.message || ('code' in error ? String(error.code) : error.name);
  return String(error);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
