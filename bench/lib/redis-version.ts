/**
 * The server version for report headers.
 */
import type { RedisClientType } from 'redis';

/** `redis_version` from INFO server. */
export async function redisVersion(client: RedisClientType): Promise<string> {
  const info = await client.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
}
