/**
 * How many commands of each kind a server ran, from INFO commandstats: the
 * difference of two readings is what happened in between (on a server nobody
 * else uses).
 */
import type { RedisClientType } from 'redis';

/** Calls per command name (lower case), as INFO commandstats reports them. */
export async function redisCommandCounts(client: RedisClientType): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  const counts = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts.set(match[1] as string, Number(match[2]));
  }
  return counts;
}

/**
 * `"2 get + 1 mget + 1 set"`: commands per operation between two readings,
 * leaving out `info` (the readings themselves).
 */
export function formatCommandsPerOp(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  ops: number,
): string {
  const parts: string[] = [];
  for (const [name, calls] of after) {
    // Rounded as printed: a stray command (a heartbeat during the pass) that rounds to 0 is not listed.
    const perOp = Number(((calls - (before.get(name) ?? 0)) / ops).toFixed(2));
    if (name !== 'info' && perOp > 0) parts.push(`${perOp} ${name}`);
  }
  return parts.length === 0 ? 'none' : parts.join(' + ');
}
