import { optionChecks } from '../../core/option-checks.js';

/** What a `redis://` or `rediss://` URL says about where and how to connect. */
export interface RedisUrlParts {
  readonly host: string;
  readonly port: number;
  /** True for `rediss://` (Redis over TLS). */
  readonly tls: boolean;
  /** The ACL user, when the URL names one. */
  readonly username?: string;
  /** The ACL password (or a `requirepass` password when no user is named). */
  readonly password?: string;
  /** The logical database selected after connecting, from the path (`/3`). */
  readonly database?: number;
}

const DEFAULT_PORT = 6379;

// The URL is shown with its password masked (showValue), so it never reaches logs.
const check = optionChecks('redisStore');

/**
 * Parse `redis[s]://[[username][:password]@]host[:port][/db]` (IANA `redis` and
 * `rediss` schemes). User and password are percent-decoded; IPv6 hosts may be
 * bracketed. Throws `E_INVALID_OPTION` for anything else, so a typo fails at
 * startup rather than as a connection that never comes up.
 * @example parseRedisUrl('rediss://app:s3cret@cache.internal:6380/2')
 */
export function parseRedisUrl(url: string): RedisUrlParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw check.invalid('url', 'a redis:// or rediss:// URL', url, error);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw check.invalid('url', 'a URL with the redis:// or rediss:// scheme', url);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw check.invalid('url', 'a URL that names a host', url);

  const port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  const parts: { -readonly [K in keyof RedisUrlParts]: RedisUrlParts[K] } = {
    host,
    port,
    tls: parsed.protocol === 'rediss:',
  };
  if (parsed.username !== '') parts.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') parts.password = decodeURIComponent(parsed.password);

  const path = parsed.pathname;
  if (path !== '' && path !== '/') {
    const database = Number(path.slice(1));
    if (!/^\/\d+$/.test(path) || !Number.isSafeInteger(database)) {
      throw check.invalid('url', 'a URL whose path is a database number, such as /0', url);
    }
    parts.database = database;
  }
  return parts;
}
